"""The audit chain's check as the API gives it."""

from __future__ import annotations

from pydantic import BaseModel


class VerifyOut(BaseModel):
    """Whether every entry still fits the chain, and the first that does not."""

    ok: bool
    checked: int
    first_broken_seq: int | None
    action: str | None
    entity: str | None
    entity_id: str | None
    reason: str | None
    text: str
