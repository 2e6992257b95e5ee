"""Scoring requests, one contact each, stored in groups (``service.group_commit``).

The contacts of a group are assessed in one call (one model matrix: its per-call overhead is
most of the work for one contact) and stored in one transaction with one audit append. A
contact whose narrative runs the sentence model is assessed by its own request first, in the
thread pool, and only stored with the group. Alone, a request takes the path it always took:
assessed, then :func:`service.contacts.service.save_scored` (replays and 409s included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from models.registry import LoadedModel
from narrative import Reader
from service import blocking
from service.auth.schemas import Caller
from service.contacts.canonical import Canonical
from service.contacts.schemas import Assessment
from service.contacts.service import NewContact, assess_contacts, save_new, save_scored
from service.db import Database
from service.group_commit import Group


@dataclass
class ScoreRequest:
    """One request's contact, caller and what scoring needs; ``assessed`` once assessed."""

    item: Canonical
    by: Caller
    model: LoadedModel
    reader: Reader
    db: Database
    settings: Settings
    assessed: dict[str, Any] | None = None


def score_group(settings: Settings) -> Group[ScoreRequest, str]:
    """A process's group of scoring requests."""
    return Group(score_together, score_alone, most=settings.group_max)


async def score_alone(request: ScoreRequest) -> str:
    """One request's answer (JSON text) as it has always been given: assessed, then stored or
    replayed (a replay of an assessment stored before some field existed gets its default)."""
    db = request.db
    assessed = [assessment_of(request)]
    [answer] = await blocking.run(db, save_scored, db, [request.item], assessed, by=request.by)
    return Assessment.model_validate(answer).model_dump_json()


async def score_together(requests: list[ScoreRequest]) -> list[str]:
    """The answers (JSON text) of new contacts assessed together and stored in one transaction
    (which raises, storing nothing, if any of them is stored already)."""
    assess_now([r for r in requests if r.assessed is None])
    db = requests[0].db
    new = [NewContact(r.item, assessment_of(r), r.by) for r in requests]
    return await blocking.run(db, save_new, db, new)


def assessment_of(request: ScoreRequest) -> dict[str, Any]:
    """The request's assessment: made before, or now."""
    if request.assessed is None:
        assess_now([request])
    # For mypy: assess_now has set it
    return request.assessed  # type: ignore[return-value]


def assess_now(requests: list[ScoreRequest]) -> None:
    """Assess the requests' contacts in one call per model (a new champion may have come in
    between requests), on the loop: none of them runs the sentence model."""
    by_model: dict[int, list[ScoreRequest]] = {}
    for request in requests:
        by_model.setdefault(id(request.model), []).append(request)
    for same in by_model.values():
        first = same[0]
        assessed = assess_contacts(
            first.model, [r.item for r in same], first.settings, narrative=first.reader
        )
        for request, assessment in zip(same, assessed, strict=True):
            request.assessed = assessment
