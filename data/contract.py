"""The contact record (contract version 1) as column specifications.

Source: docs/contract/contact-record.md. A *typed frame* is a pandas DataFrame with these
columns and dtypes; every reader returns one and every writer takes one:

- strings use pandas' ``string`` dtype; optional strings are ``<NA>`` when absent;
- ``received_at`` and ``decided_at`` are timezone-aware UTC timestamps (naive input times are
  read as Europe/London);
- ``concerns`` is one string of CIN codes joined by ``;`` ("" when none were reported), the same
  form as in CSV, so a frame round-trips through CSV and Parquet unchanged;
- ``outcome_need_12m`` is the nullable ``boolean`` dtype (``<NA>`` = not observed);
- the optional timeliness dates (``due_on``, ``assessment_due_on``, ``assessment_completed_on``)
  are Europe/London calendar days as naive ``datetime64[ns]`` at midnight, and late reasons one
  string of codes joined by ``;`` (docs/timeliness.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from data.codes import (
    AssessmentOutcome,
    Concern,
    Decision,
    Disability,
    Ethnicity,
    LateReason,
    ReferralSource,
    Sex,
)

Role = Literal["key", "context", "surface", "substantive", "protected", "history", "synthetic"]
Kind = Literal["id", "datetime", "date", "int", "bool", "code", "codes", "reasons", "text", "float"]

CONCERN_SEPARATOR = ";"
LONDON = "Europe/London"


@dataclass(frozen=True)
class Field:
    """One column of the contact record."""

    name: str
    kind: Kind
    role: Role
    required: bool
    dtype: str
    default: object = None
    codes: tuple[str, ...] = ()
    max_length: int | None = None
    description: str = ""


def _codes(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


FIELDS: tuple[Field, ...] = (
    Field("contact_id", "id", "key", True, "string", max_length=64,
          description="pseudonymous key, 1-64 of A-Za-z0-9_-"),
    Field("received_at", "datetime", "context", True, "datetime64[ns, UTC]",
          description="when the contact was received"),
    Field("child_age_years", "int", "surface", True, "int64",
          description="age at contact, 0-17 (0 also covers unborn)"),
    Field("referral_source", "code", "surface", True, "string", codes=_codes(ReferralSource),
          description="CIN referral source code"),
    Field("concerns", "codes", "substantive", True, "string", codes=_codes(Concern),
          description="CIN assessment factor codes reported, ';'-separated"),
    Field("prior_contacts_12m", "int", "substantive", True, "int64",
          description="earlier contacts about this child in the last 12 months"),
    Field("previous_cp_plan", "bool", "substantive", True, "bool",
          description="ever the subject of a child protection plan"),
    Field("early_help_open", "bool", "substantive", False, "bool", default=False,
          description="currently open to early help"),
    Field("child_sex", "code", "protected", False, "string", default="U", codes=_codes(Sex)),
    Field("child_ethnicity", "code", "protected", False, "string", default="NOBT",
          codes=_codes(Ethnicity)),
    Field("child_disability", "code", "protected", False, "string", default="U",
          codes=_codes(Disability)),
    Field("team_id", "text", "context", False, "string", max_length=64,
          description="the duty team that received it"),
    Field("narrative", "text", "context", False, "string", max_length=10_000,
          description="free text; never a model input"),
    # What a data team's historical extract adds.
    Field("decision", "code", "history", False, "string", codes=_codes(Decision)),
    Field("decided_at", "datetime", "history", False, "datetime64[ns, UTC]"),
    Field("worker_id", "text", "history", False, "string", max_length=64),
    Field("decision_note", "text", "history", False, "string"),
    Field("outcome_need_12m", "bool", "history", False, "boolean",
          description="assessed as in need within 12 months; empty = not observed"),
    Field("true_risk", "float", "synthetic", False, "float64",
          description="synthetic data only: the generating process's P(need | inputs)"),
    # Timeliness (docs/timeliness.md): optional, so extracts without them stay valid.
    Field("due_on", "date", "history", False, "datetime64[ns]",
          description="the working day the decision was due"),
    Field("late_reasons", "reasons", "history", False, "string", codes=_codes(LateReason),
          description="why the decision was late, late reason codes ';'-separated"),
    Field("late_note", "text", "history", False, "string",
          description="free text on why the decision was late; never a model input"),
    Field("assessment_due_on", "date", "history", False, "datetime64[ns]",
          description="the working day the assessment was due"),
    Field("assessment_completed_on", "date", "history", False, "datetime64[ns]",
          description="the day the assessment was completed; empty while open"),
    Field("assessment_outcome", "code", "history", False, "string",
          codes=_codes(AssessmentOutcome), description="what the assessment concluded"),
    Field("assessment_late_reasons", "reasons", "history", False, "string",
          codes=_codes(LateReason),
          description="why the assessment was late, late reason codes ';'-separated"),
    Field("assessment_late_note", "text", "history", False, "string",
          description="free text on why the assessment was late; never a model input"),
)  # fmt: skip

FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS)
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
SURFACE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.role == "surface")
SUBSTANTIVE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.role == "substantive")
# The fields a model may read: what the duty worker knows, less protected characteristics and
# context (time, team, free text).
MODEL_INPUTS: tuple[str, ...] = SURFACE + SUBSTANTIVE

# Values a CSV may use for booleans (any case).
TRUE_STRINGS = frozenset({"true", "1", "y", "yes"})
FALSE_STRINGS = frozenset({"false", "0", "n", "no"})
