"""``GET /health``: is a model loaded (no token needed; touches no database)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.contacts.schemas import ModelRef

router = APIRouter(tags=["health"])
UNAVAILABLE_DETAIL = (
    "No champion model is loaded: run `triage train`; the service picks the champion up within "
    "TRIAGE_MODEL_POLL_SECONDS (or at its next start if polling is off)."
)


class HealthOut(BaseModel):
    """``ok`` with the model that scores, or ``unavailable``."""

    status: str
    model: ModelRef | None
    detail: str | None = None


UNAVAILABLE = {
    "model": HealthOut,
    "description": "No champion model is loaded.",
    "content": {
        "application/json": {
            "example": {
                "status": "unavailable",
                "model": None,
                "detail": UNAVAILABLE_DETAIL,
            }
        }
    },
}


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Is a model loaded (no token needed)",
    responses={503: UNAVAILABLE},
)
async def health(request: Request) -> HealthOut | JSONResponse:
    """200 with the model's name and version when a champion is loaded; 503 otherwise."""
    loaded = request.app.state.champion
    if loaded is None:
        body = HealthOut(status="unavailable", model=None, detail=UNAVAILABLE_DETAIL)
        return JSONResponse(body.model_dump(), status_code=503)
    model = ModelRef(name=loaded.name, version=loaded.version, run_id=loaded.run_id)
    return HealthOut(status="ok", model=model)
