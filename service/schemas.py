"""Schemas every domain shares: the error answers and their OpenAPI documentation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# Text the service stores or looks up may not hold NUL (U+0000): PostgreSQL text cannot, so it is
# refused at the edge (422) on every backend alike.
NO_NUL = r"^[^\x00]*$"
# Far above any real note; bounds what one request can make the service store (422 naming it).
NOTE_MAX_CHARS = 100_000


def note_field(description: str, default: str | None = "") -> Any:
    """A free-text note's field: no NUL, at most :data:`NOTE_MAX_CHARS` characters."""
    extra: dict[str, Any] = {} if default is None else {"default": default}
    return Field(
        max_length=NOTE_MAX_CHARS,
        pattern=NO_NUL,
        description=f"{description} Up to 100,000 characters: stored whole, never logged.",
        **extra,
    )


class ErrorOut(BaseModel):
    """Every error answer: a machine-readable type and a human-readable detail."""

    type: str = Field(examples=["not_found"])
    detail: Any = Field(None, examples=["No contact C-123."])


class FieldError(BaseModel):
    """One bad field: where it is, what is wrong (the value sent is never echoed)."""

    loc: list[str | int] = Field(examples=[["body", "concerns", 0]])
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A 422 answer naming each bad field."""

    type: str = Field("validation_error", examples=["validation_error"])
    detail: list[FieldError]


_EXAMPLES: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "The body could not be read: it is not UTF-8 text.",
        {"type": "bad_request", "detail": "There was an error parsing the body"},
    ),
    401: (
        "No valid bearer token.",
        {"type": "unauthorized", "detail": "A valid bearer token is required."},
    ),
    403: (
        "The caller's role may not use this route.",
        {"type": "forbidden", "detail": "Role data_team may not use this route."},
    ),
    404: ("Not found.", {"type": "not_found", "detail": "No contact C-123."}),
    409: (
        "Conflicts with what is stored.",
        {"type": "conflict", "detail": "Contact C-123 was scored with a different body."},
    ),
    422: (
        "The request is invalid; each bad field is named.",
        {
            "type": "validation_error",
            "detail": [
                {
                    "loc": ["body", "child_age_years"],
                    "msg": "Input should be less than or equal to 17",
                    "type": "less_than_equal",
                }
            ],
        },
    ),
    503: (
        "No champion model is loaded.",
        {"type": "model_unavailable", "detail": "No champion model is loaded: run `triage train`."},
    ),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, with a schema and an example each."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, example = _EXAMPLES[status]
        model = ValidationErrorOut if status == 422 else ErrorOut
        responses[status] = {
            "model": model,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    return responses


AUTHENTICATED = (401, 403)
# A route that reads a JSON body: 400 when the bytes are not text, 422 when the JSON is invalid.
JSON_BODY = (400, 422)
