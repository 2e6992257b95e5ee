"""Decision requests recorded in groups (``service.group_commit``): one transaction, one
commit and one audit append for the decisions that arrive together; alone, each is recorded
as it always was."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from service import blocking
from service.db import Database
from service.decisions import service
from service.decisions.schemas import DecisionRecorded
from service.group_commit import Group
from service.unit_of_work import in_session


@dataclass(frozen=True)
class DecisionRequest:
    """One request's decision, and the database to record it in."""

    taken: service.DecisionTaken
    db: Database


def decision_group(settings: Settings) -> Group[DecisionRequest, DecisionRecorded]:
    """A process's group of decision requests."""
    return Group(decide_together, decide_alone, most=settings.group_max)


async def decide_alone(request: DecisionRequest) -> DecisionRecorded:
    """One decision recorded in its own transaction."""
    db = request.db
    return await blocking.run(db, in_session, db, service.decide_taken, request.taken)


async def decide_together(requests: list[DecisionRequest]) -> list[DecisionRecorded]:
    """The decisions recorded in order in one transaction (which raises, recording none of
    them, if any of them fails)."""
    db = requests[0].db
    return await blocking.run(db, in_session, db, service.decide_all, [r.taken for r in requests])
