"""Prebuilt statements store exactly what SQLAlchemy's own execution stores, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from service.audit.tables import AuditHead
from service.contacts.tables import Contact, StoredAssessment
from service.db import open_database
from service.migrate import upgrade_engine
from service.prebuilt import Prebuilt

AT = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)


def contact(contact_id: str) -> dict:
    return {
        "contact_id": contact_id,
        "body": '{"narrative":"Café – ünïcode"}',
        "body_sha256": "a" * 64,
        "received_at": AT,
        "child_age_years": 7,
        "referral_source": "S1",
        "team_id": None,
        "created_by": "worker",
        "created_at": AT,
    }


def assessment(contact_id: str) -> dict:
    return {
        "contact_id": contact_id,
        "model_name": "m",
        "model_version": "3",
        "model_run_id": "r",
        "probability": 0.123456789,
        "band": 2,
        "bands": 5,
        "surface_share": 0.5,
        "surface_flagged": True,
        "substantive_probability": 0.1,
        "substantive_band": 1,
        "assessment": {"risk": {"probability": 0.12, "band": 2}, "nested": [1, None, "é"]},
        "assessed_at": AT,
    }


@pytest.fixture
def db(settings):
    database = open_database(settings)
    upgrade_engine(database.engine)
    yield database
    database.dispose()


def without_id(row) -> dict:
    values = dict(row._mapping)
    values.pop("contact_id")
    return values


def test_rows_read_back_the_same_as_sqlalchemys_own_inserts(db):
    contacts, assessments = Contact.__table__, StoredAssessment.__table__
    with db.engine.begin() as connection:
        connection.execute(contacts.insert(), [contact("C-core")])
        connection.execute(assessments.insert(), [assessment("C-core")])
        Prebuilt(contacts.insert()).execute(connection, [contact("C-pre"), contact("C-pre2")])
        Prebuilt(assessments.insert()).execute(connection, [assessment("C-pre")])
    with db.engine.connect() as connection:
        for table in (contacts, assessments):
            rows = {r.contact_id: r for r in connection.execute(select(table).order_by(table.c[0]))}
            assert without_id(rows["C-pre"]) == without_id(rows["C-core"])
        # The stored text itself, not only its reading, is the same (JSON and timestamps).
        raw = {
            r[0]: r[1:]
            for r in connection.exec_driver_sql(
                "SELECT contact_id, CAST(assessment AS TEXT), CAST(assessed_at AS TEXT) "
                "FROM assessments"
            )
        }
        assert raw["C-pre"] == raw["C-core"]
    assert without_id(rows["C-pre"])["assessed_at"] == AT


def test_a_clash_is_sqlalchemys_integrity_error_and_rolls_back(db):
    insert = Prebuilt(Contact.__table__.insert())
    with db.engine.begin() as connection:
        insert.execute(connection, [contact("C-1")])
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        insert.execute(connection, [contact("C-2")])
        insert.execute(connection, [contact("C-1")])
    with db.engine.connect() as connection:
        stored = connection.execute(select(Contact.contact_id)).scalars().all()
    assert stored == ["C-1"]


def test_a_statements_own_values_are_bound_and_a_missing_one_is_refused(db):
    head = Prebuilt(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))
    with db.engine.connect() as connection:
        core = connection.execute(select(AuditHead.seq, AuditHead.hash)).one()
        assert head.first(connection, {}) == tuple(core)
        assert (
            Prebuilt(select(AuditHead.seq).where(AuditHead.id == 2)).first(connection, {}) is None
        )
        with pytest.raises(KeyError):
            rows = [contact("C-8"), {"contact_id": "C-9"}]  # every row names every column
            Prebuilt(Contact.__table__.insert()).execute(connection, rows)


def test_a_column_default_left_to_sqlalchemy_goes_sqlalchemys_way():
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("x", String, default="d")
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        Prebuilt(table.insert()).execute(connection, [{"id": 1}])
        Prebuilt(table.insert()).execute(connection, [{"id": 2, "x": "given"}])
        assert connection.execute(select(table.c.x).order_by(table.c.id)).scalars().all() == [
            "d",
            "given",
        ]


def test_a_select_reads_each_column_as_sqlalchemy_reads_it(db):
    contacts, assessments = Contact.__table__, StoredAssessment.__table__
    with db.engine.begin() as connection:
        connection.execute(contacts.insert(), [contact("C-1"), contact("C-2")])
        connection.execute(assessments.insert(), [assessment("C-1")])
    query = (
        select(contacts.c.contact_id, contacts.c.received_at, assessments.c.assessment)
        .outerjoin(assessments, assessments.c.contact_id == contacts.c.contact_id)
        .order_by(contacts.c.contact_id)
    )
    with db.engine.connect() as connection:
        core = [tuple(row) for row in connection.execute(query)]
        assert Prebuilt(query).all(connection, {}) == core
        assert Prebuilt(query).first(connection, {}) == core[0]
    # Timestamps come back aware (UTC), JSON parsed, and a NULL as None, as SQLAlchemy's own.
    assert core[0][1] == AT and core[0][2]["nested"] == [1, None, "é"] and core[1][2] is None


def test_an_object_stored_in_two_json_columns_is_encoded_once_and_stored_the_same(db):
    from service.contacts.tables import ContactRevision

    row = assessment("C-1")
    serialised = []
    encoded: dict[int, object] = {}
    with db.engine.begin() as connection:
        Prebuilt(Contact.__table__.insert()).execute(connection, [contact("C-1")])
        Prebuilt(StoredAssessment.__table__.insert()).execute(connection, [row], encoded=encoded)
        serialised = list(encoded.values())
        revision = {
            **{k: v for k, v in contact("C-1").items() if k in ContactRevision.__table__.c},
            "revision": 1,
            "assessment": row["assessment"],
            "model_name": "m",
            "model_version": "3",
            "model_run_id": "r",
        }
        Prebuilt(ContactRevision.__table__.insert()).execute(
            connection, [revision], encoded=encoded
        )
    assert len(serialised) == 1 and list(encoded.values()) == serialised  # not encoded again
    with db.engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT CAST(a.assessment AS TEXT), CAST(r.assessment AS TEXT) "
            "FROM assessments a JOIN contact_revisions r ON r.contact_id = a.contact_id"
        ).one()
        assert stored[0] == stored[1]
        assert connection.execute(select(ContactRevision.assessment)).scalar() == row["assessment"]


def test_several_rows_in_one_insert_read_back_as_sqlalchemys_own(db):
    """Several rows go as one INSERT on PostgreSQL (arrays); what is stored is the same."""
    contacts, assessments = Contact.__table__, StoredAssessment.__table__
    core_ids, pre_ids = ["C-core1", "C-core2", "C-core3"], ["C-pre1", "C-pre2", "C-pre3"]
    variants = [{}, {"team_id": "T1", "child_age_years": 0}, {"referral_source": "S2"}]
    with db.engine.begin() as connection:
        for ids, run in ((core_ids, connection.execute), (pre_ids, None)):
            rows = [{**contact(i), **v} for i, v in zip(ids, variants, strict=True)]
            scored = [assessment(i) for i in ids]
            scored[1]["surface_flagged"], scored[2]["assessment"] = False, {"empty": {}}
            if run is not None:
                run(contacts.insert(), rows)
                run(assessments.insert(), scored)
            else:
                Prebuilt(contacts.insert()).execute(connection, rows)
                Prebuilt(assessments.insert()).execute(connection, scored)
    with db.engine.connect() as connection:
        for table in (contacts, assessments):
            rows = {r.contact_id: r for r in connection.execute(select(table))}
            for core, pre in zip(core_ids, pre_ids, strict=True):
                assert without_id(rows[pre]) == without_id(rows[core])


def test_a_value_too_long_for_its_column_is_refused_by_both_paths_alike(db):
    """A cast of the rows' arrays must not cut a value short where the column would refuse it
    (PostgreSQL); SQLite stores it either way."""
    too_long = [contact("C-1"), {**contact("C-2"), "referral_source": "S1234"}]
    outcomes = []
    for run in ("core", "prebuilt"):
        try:
            with db.engine.begin() as connection:
                if run == "core":
                    connection.execute(Contact.__table__.insert(), too_long)
                else:
                    Prebuilt(Contact.__table__.insert()).execute(connection, too_long)
                stored = connection.execute(select(Contact.referral_source)).scalars().all()
                outcomes.append(sorted(stored))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        except DBAPIError as error:
            outcomes.append(type(error).__name__)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] in (["S1", "S1234"], "DataError")
