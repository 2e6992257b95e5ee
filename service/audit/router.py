"""Route: verify the audit chain (admin only)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from service.audit import service
from service.audit.schemas import VerifyOut
from service.deps import Admin, ReadSessionDep
from service.schemas import AUTHENTICATED, error_responses

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "/verify",
    response_model=VerifyOut,
    summary="Check the audit chain end to end",
    responses=error_responses(*AUTHENTICATED),
)
def verify(caller: Admin, session: ReadSessionDep) -> VerifyOut:
    """Recompute every entry's hash; name the first entry that was altered or removed."""
    result = service.verify(session)
    return VerifyOut(**asdict(result), text=result.describe())
