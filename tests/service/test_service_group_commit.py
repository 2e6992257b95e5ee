"""Group commit (service.group_commit): requests that arrive together are stored in one
transaction, each answered as it would have been alone, once committed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from service.audit.service import verify
from service.audit.tables import AuditEvent
from service.auth.schemas import Caller, Role
from service.contacts.schemas import Assessment, ContactIn
from service.contacts.service import assess_contacts, prepare
from service.group_commit import Group

SCORE = "/v1/contacts/score"
NARRATIVE = "Mum said her new partner hit her in front of the children last night."


# --- the mechanism, with stand-in work ---------------------------------------------------------


class Recorder:
    """Stand-in work: records the groups done together and the members done alone."""

    def __init__(self, fail_together: bool = False, fail_alone: frozenset[int] = frozenset()):
        self.together_calls: list[list[int]] = []
        self.alone_calls: list[int] = []
        self.fail_together = fail_together
        self.fail_alone = fail_alone

    async def together(self, members: list[int]) -> list[str]:
        self.together_calls.append(list(members))
        if self.fail_together:
            raise RuntimeError("one of them failed")
        return [f"together {m}" for m in members]

    async def alone(self, member: int) -> str:
        self.alone_calls.append(member)
        if member in self.fail_alone:
            raise ValueError(f"member {member} fails")
        return f"alone {member}"


async def settle(tasks: list[asyncio.Task[Any]]) -> list[Any]:
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_a_request_alone_is_flushed_on_the_next_turn_of_the_loop_with_no_timer():
    work = Recorder()
    group: Group[int, str] = Group(work.together, work.alone, most=64)

    async def main() -> tuple[bool, Any]:
        task = asyncio.create_task(group.submit(1))
        # Turns of the loop without any time passing: a flush waiting on a timer would not run.
        for _ in range(4):
            await asyncio.sleep(0)
        return task.done(), task.result() if task.done() else None

    done, result = asyncio.run(main())
    assert done and result == "alone 1"
    assert work.alone_calls == [1] and work.together_calls == []


def test_members_submitted_in_one_turn_are_done_together_up_to_the_cap():
    work = Recorder()
    group: Group[int, str] = Group(work.together, work.alone, most=3)

    async def main() -> list[Any]:
        return await settle([asyncio.create_task(group.submit(m)) for m in range(7)])

    results = asyncio.run(main())
    assert results == [f"together {m}" for m in range(6)] + ["alone 6"]
    assert work.together_calls == [[0, 1, 2], [3, 4, 5]] and work.alone_calls == [6]
    assert group.flushes == 2


def test_members_arriving_during_a_flush_gather_for_the_next_one():
    work = Recorder()

    async def main() -> list[Any]:
        gate = asyncio.Event()

        async def slow_together(members: list[int]) -> list[str]:
            await gate.wait()  # a flush waiting on the database
            return await work.together(members)

        group: Group[int, str] = Group(slow_together, work.alone, most=64)
        first = [asyncio.create_task(group.submit(m)) for m in (0, 1)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        later = [asyncio.create_task(group.submit(m)) for m in (2, 3, 4)]
        await asyncio.sleep(0)
        gate.set()
        return await settle(first + later)

    results = asyncio.run(main())
    assert results == [f"together {m}" for m in range(5)]
    assert work.together_calls == [[0, 1], [2, 3, 4]]


def test_when_together_fails_each_member_gets_its_own_answer_alone():
    work = Recorder(fail_together=True, fail_alone=frozenset({1}))
    group: Group[int, str] = Group(work.together, work.alone, most=64)

    async def main() -> list[Any]:
        return await settle([asyncio.create_task(group.submit(m)) for m in range(3)])

    results = asyncio.run(main())
    assert results[0] == "alone 0" and results[2] == "alone 2"
    assert isinstance(results[1], ValueError) and str(results[1]) == "member 1 fails"
    assert work.together_calls == [[0, 1, 2]] and work.alone_calls == [0, 1, 2]


# --- the service: scores and decisions of requests that arrive together -----------------------


class Gathering(Group[Any, Any]):
    """The app's group, whose requests wait until ``expected`` have arrived and then submit in
    one turn of the loop, in their requests' order (by request id): one group, whatever the
    thread pool's timing."""

    def __init__(self, group: Group[Any, Any], expected: int) -> None:
        super().__init__(group.together, group.alone, most=group.most)
        self.expected = expected
        self.arrived: list[tuple[Any, asyncio.Future[asyncio.Task[Any]]]] = []
        self.released = False

    async def submit(self, member: Any) -> Any:
        turn: asyncio.Future[asyncio.Task[Any]] = asyncio.get_running_loop().create_future()
        self.arrived.append((member, turn))
        self.release_when_all_in()
        return await (await turn)

    def answered_early(self) -> None:
        """A request was answered without joining (a 422 before it got here): wait for one
        less."""
        if not self.released:
            self.expected -= 1
            self.release_when_all_in()

    def release_when_all_in(self) -> None:
        if len(self.arrived) == self.expected and not self.released:
            self.released = True
            for m, t in sorted(self.arrived, key=lambda a: request_id(a[0])):
                t.set_result(asyncio.create_task(Group.submit(self, m)))


def request_id(member: Any) -> str:
    """The request id of a score's or a decision's member of a group."""
    by = member.by if hasattr(member, "by") else member.taken.by
    return by.request_id


def at_once(app: Any, requests: list[tuple[str, dict[str, Any], dict[str, str]]], group: str):
    """Send the requests concurrently through ``app``'s ASGI interface, the app's ``group``
    gathering all of them in the requests' order; the responses, in order, and the group."""
    original = getattr(app.state, group)
    gathering = Gathering(original, len(requests))
    setattr(app.state, group, gathering)

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def send(i: int, path: str, body: Any, headers: dict[str, str]) -> Any:
                headers = {"X-Request-ID": f"r-{i:03d}", **headers}
                response = await client.post(path, json=body, headers=headers)
                gathering.answered_early()
                return response

            sends = [send(i, *request) for i, request in enumerate(requests)]
            return list(await asyncio.gather(*sends))

    try:
        return asyncio.run(main()), gathering
    finally:
        setattr(app.state, group, original)


def counting_commits(app: Any) -> Callable[[], int]:
    """How many write transactions the app's database has committed since."""
    count = [0]
    event.listen(app.state.db.engine, "commit", lambda _conn: count.__setitem__(0, count[0] + 1))
    return lambda: count[0]


def alone_answer(app: Any, body: dict[str, Any]) -> dict[str, Any]:
    """What scoring ``body`` alone assesses (the single-request path), as the API shows it."""
    settings = app.state.settings
    caller = Caller("worker", Role.DUTY_WORKER, None, frozenset({body["team_id"]}))
    items = prepare([ContactIn.model_validate(body)], settings, by=caller)
    [assessed] = assess_contacts(app.state.champion, items, settings, narrative=app.state.narrative)
    return Assessment.model_validate(assessed).model_dump(mode="json")


def without_time(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "assessed_at"}


def same_to_the_last_bit(got: Any, want: Any) -> bool:
    """Equal, floats to within rounding: a product of a matrix of many rows rounds in the last
    bit differently from one row's (BLAS), as /score/batch always has. Everything else (bands,
    codes, texts, which fields) exactly."""
    if isinstance(want, float) and isinstance(got, float):
        return got == pytest.approx(want, rel=1e-12, abs=1e-15)
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(
            same_to_the_last_bit(got[k], want[k]) for k in want
        )
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(
            same_to_the_last_bit(g, w) for g, w in zip(got, want, strict=True)
        )
    return type(got) is type(want) and got == want


def test_scores_arriving_together_are_stored_in_one_transaction_each_as_alone(
    app, client, auth, contact, high_risk
):
    bodies = [
        contact(
            f"C-{i:02d}",
            **{
                "child_age_years": i % 18,
                "referral_source": ["2A", "9", "1A", "5B"][i % 4],
                "prior_contacts_12m": i % 4,
                **(high_risk if i % 5 == 0 else {}),
            },
        )
        for i in range(20)
    ]
    bodies[7]["narrative"] = NARRATIVE  # runs the sentence model first, then joins the group
    users = ["worker", "worker2"]
    requests = [
        (SCORE, body, {**auth[users[i % 2]], "X-Request-ID": f"group-{i:02d}"})
        for i, body in enumerate(bodies)
    ]
    commits = counting_commits(app)
    responses, group = at_once(app, requests, "score_group")

    assert [r.status_code for r in responses] == [200] * 20, responses[0].text
    assert group.flushes == 1 and commits() == 1  # twenty requests, one transaction
    assert responses[7].json()["narrative_check"]["available"] is True  # the sentence model ran
    for body, response in zip(bodies, responses, strict=True):
        answer = response.json()
        assert same_to_the_last_bit(without_time(answer), without_time(alone_answer(app, body)))
        stored = client.get(f"/v1/contacts/{body['contact_id']}", headers=auth["worker"])
        assert stored.json()["assessment"] == answer
    with app.state.db.read() as session:
        assert verify(session).ok
        scored = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contact.scored").order_by(AuditEvent.seq)
        ).all()
    # One entry per contact, in contact_id order (the order of the rows' locks), each with
    # its own request's id and caller.
    assert [e.entity_id for e in scored] == sorted(b["contact_id"] for b in bodies)
    for e in scored:
        i = int(e.entity_id[2:])
        assert (e.request_id, e.actor) == (f"group-{i:02d}", users[i % 2])


def test_a_group_with_replays_conflicts_and_repeats_answers_each_as_alone(
    app, client, auth, contact
):
    stored = client.post(SCORE, json=contact("C-STORED"), headers=auth["worker"])
    assert stored.status_code == 200
    requests = [
        (SCORE, contact("C-NEW"), auth["worker"]),
        (SCORE, contact("C-STORED"), auth["worker2"]),  # a replay
        (SCORE, contact("C-STORED", child_age_years=12), auth["worker"]),  # a conflict
        (SCORE, contact("C-NEW"), auth["worker2"]),  # the same contact twice in the group
        (SCORE, contact("C-OTHER", child_age_years=3), auth["worker"]),
        (SCORE, contact("C-NEW", child_age_years=9), auth["worker"]),  # conflicts with C-NEW
    ]
    responses, group = at_once(app, requests, "score_group")

    assert group.flushes == 1
    assert [r.status_code for r in responses] == [200, 200, 409, 200, 200, 409]
    assert responses[1].json() == stored.json()
    assert responses[3].json() == responses[0].json()
    # Sent alone now, each request gets the answer it got in the group.
    for (path, body, headers), response in zip(requests, responses, strict=True):
        again = client.post(path, json=body, headers=headers)
        assert (again.status_code, again.json()) == (response.status_code, response.json())
    alone = alone_answer(app, contact("C-OTHER", child_age_years=3))
    assert same_to_the_last_bit(without_time(responses[4].json()), without_time(alone))
    with app.state.db.read() as session:
        assert verify(session).ok
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id == "C-NEW")
            .order_by(AuditEvent.seq)
        ).all()
    assert actions[:2] == ["contact.scored", "contact.score_replayed"]


DECISION = {"decision": "nfa", "reasons": ["no_concerns_identified"], "note": "Seen by school."}


def test_decisions_arriving_together_share_one_transaction(app, client, auth, scored, high_risk):
    for i in range(6):
        scored(f"C-{i}", **(high_risk if i % 2 else {}))  # odd ones are flagged and reviewed
    users = ["worker", "worker2"]
    requests = [
        (
            f"/v1/contacts/C-{i % 6}/decision",
            DECISION,
            {**auth[users[i % 2]], "X-Request-ID": f"decide-{i:02d}"},
        )
        for i in range(10)
    ]
    commits = counting_commits(app)
    responses, group = at_once(app, requests, "decision_group")

    assert [r.status_code for r in responses] == [200] * 10
    assert group.flushes == 1 and commits() == 1
    for i, response in enumerate(responses):
        recorded = response.json()
        assert recorded["contact_id"] == f"C-{i % 6}"
        assert recorded["flagged_for_review"] is bool(i % 2)
        assert (recorded["review_id"] is not None) is bool(i % 2)
    ids = [r.json()["decision_id"] for r in responses]
    with app.state.db.read() as session:
        assert verify(session).ok
        entries = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "decision.recorded")
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.entity_id for e in entries] == ids  # in the order the requests came
    assert [(e.request_id, e.actor) for e in entries] == [
        (f"decide-{i:02d}", users[i % 2]) for i in range(10)
    ]
    listed = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"]
    assert [d["decision_id"] for d in listed] == [ids[1], ids[7]]


def test_a_group_of_decisions_with_a_missing_contact_answers_each_as_alone(
    app, client, auth, scored
):
    scored("C-1")
    scored("C-2")
    late = {**DECISION, "late_reasons": ["family_declined"]}  # 422: in time, none needed
    requests = [
        ("/v1/contacts/C-1/decision", DECISION, auth["worker"]),
        ("/v1/contacts/C-MISSING/decision", DECISION, auth["worker"]),
        ("/v1/contacts/C-2/decision", late, auth["worker2"]),
        ("/v1/contacts/C-2/decision", DECISION, auth["worker2"]),
    ]
    responses, group = at_once(app, requests, "decision_group")

    assert group.flushes == 1
    assert [r.status_code for r in responses] == [200, 404, 422, 200]
    for (path, body, headers), response in zip(requests[1:3], responses[1:3], strict=True):
        again = client.post(path, json=body, headers=headers)
        assert (again.status_code, again.json()) == (response.status_code, response.json())
    for contact_id, response in (("C-1", responses[0]), ("C-2", responses[3])):
        listed = client.get(f"/v1/contacts/{contact_id}", headers=auth["worker"]).json()
        assert [d["decision_id"] for d in listed["decisions"]] == [response.json()["decision_id"]]
    with app.state.db.read() as session:
        assert verify(session).ok


def generated_contacts(n: int, *, seed: int) -> list[dict[str, Any]]:
    """``n`` contacts from the synthetic generator, a few with narratives and legacy codes."""
    from data.synthetic import GeneratorConfig, generate

    frame = generate(GeneratorConfig(rows=n, seed=seed))
    bodies = []
    for i, row in enumerate(frame.to_dict("records")):
        body = {
            "contact_id": f"G-{i:03d}",
            "received_at": "2024-05-01T09:30:00+01:00",
            "child_age_years": int(row["child_age_years"]),
            "referral_source": str(row["referral_source"]),
            "concerns": [c for c in str(row["concerns"]).split(";") if c],
            "prior_contacts_12m": int(row["prior_contacts_12m"]),
            "previous_cp_plan": bool(row["previous_cp_plan"]),
            "team_id": "north",
        }
        if i % 3:  # else left out: read as not, and said so in the limits
            body["early_help_open"] = bool(row["early_help_open"])
        if i % 7 == 0 and "18C" not in body["concerns"]:
            body["concerns"] = [*body["concerns"], "18A"]  # a legacy code: a warning
        if i % 10 == 0:
            body["narrative"] = NARRATIVE
        bodies.append(body)
    return bodies


def test_a_score_answers_with_the_json_its_response_model_would_give(app, client, auth):
    bodies = generated_contacts(60, seed=12)
    requests = [(SCORE, body, auth["worker"]) for body in bodies]
    responses, group = at_once(app, requests, "score_group")
    replays = [client.post(SCORE, json=body, headers=auth["worker"]) for body in bodies[:5]]

    assert [r.status_code for r in responses + replays] == [200] * 65, [
        r.text for r in responses if r.status_code != 200
    ][:2]
    assert group.flushes == 1
    assert any(r.json()["warnings"] for r in responses)
    assert any(
        limit["code"].startswith("defaulted:") for r in responses for limit in r.json()["limits"]
    )
    for response in responses + replays:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        answer = response.json()
        modelled = Assessment.model_validate(answer).model_dump(mode="json")
        # The same fields, values and JSON types (an int where the model says float would show)
        assert json.dumps(answer, sort_keys=True) == json.dumps(modelled, sort_keys=True)
