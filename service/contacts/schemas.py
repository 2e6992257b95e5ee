"""The contact record as the API takes it, and the assessment as the API gives it.

:class:`ContactIn` mirrors ``contact-record.schema.json`` (contract version 1): unknown keys are
errors, every code is checked, integers and booleans must be JSON integers and booleans.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from data.codes import LEGACY_CONCERNS, Concern, Disability, Ethnicity, ReferralSource, Sex
from service.schemas import NO_NUL

CONCERN_CODES: tuple[str, ...] = tuple(c.value for c in Concern) + tuple(LEGACY_CONCERNS)
ConcernCode = Literal[CONCERN_CODES]  # type: ignore[valid-type]
CONTACT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
INT64_MAX = 2**63 - 1
NO_FACTORS = Concern.NO_FACTORS.value
# The dates a stored timestamp can hold everywhere: the files' readers and the reports use
# pandas' range (1677-09-21 to 2262-04-11 in UTC), so the last whole day in it is the limit.
EARLIEST, LATEST = date(1678, 1, 1), date(2262, 4, 10)

ContactId = Annotated[str, Field(pattern=CONTACT_ID_PATTERN, examples=["C-123"])]
TeamId = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
Narrative = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]

CONTACT_EXAMPLE: dict[str, Any] = {
    "contact_id": "C-123",
    "received_at": "2024-05-01T09:30:00+01:00",
    "child_age_years": 4,
    "referral_source": "2A",
    "concerns": ["3B", "16A"],
    "prior_contacts_12m": 1,
    "previous_cp_plan": False,
    "early_help_open": False,
    "child_sex": "U",
    "child_ethnicity": "NOBT",
    "child_disability": "U",
    "team_id": "north",
    "narrative": "School reports bruising; mother says there were arguments at home.",
}


class ContactIn(BaseModel):
    """One front-door contact (contract version 1), as sent for scoring."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CONTACT_EXAMPLE]})

    contact_id: ContactId
    received_at: datetime = Field(description="ISO 8601; naive times are Europe/London.")
    child_age_years: Annotated[int, Strict(), Field(ge=0, le=17, description="Surface field.")]
    referral_source: ReferralSource = Field(description="CIN referral source; surface field.")
    concerns: list[ConcernCode] = Field(
        json_schema_extra={"uniqueItems": True},
        description="CIN assessment factor codes; legacy 18A/19A read as 18C/19C.",
    )
    prior_contacts_12m: Annotated[int, Strict(), Field(ge=0)]
    previous_cp_plan: Annotated[bool, Strict()]
    early_help_open: Annotated[bool, Strict()] = False
    child_sex: Sex = Sex.UNKNOWN
    child_ethnicity: Ethnicity = Ethnicity.NOBT
    child_disability: Disability = Disability.UNKNOWN
    # Absent means none; null is not a string (as in the contract's JSON Schema).
    team_id: TeamId = None  # type: ignore[assignment]
    narrative: Narrative = None  # type: ignore[assignment]

    @field_validator("received_at", mode="before")
    @classmethod
    def _received_at_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str | datetime):
            raise ValueError("must be an ISO 8601 date-time string")
        return value

    @field_validator("received_at")
    @classmethod
    def _received_at_in_range(cls, value: datetime) -> datetime:
        # The date as written, then in UTC (an offset can move it a day, past pandas' range).
        in_range = EARLIEST <= value.date() <= LATEST
        if in_range and value.tzinfo is not None:
            in_range = EARLIEST <= value.astimezone(UTC).date() <= LATEST
        if not in_range:
            raise ValueError(f"must fall between {EARLIEST} and {LATEST}")
        return value

    @field_validator("prior_contacts_12m")
    @classmethod
    def _fits_int64(cls, value: int) -> int:
        if value > INT64_MAX:
            raise ValueError("is too large")
        return value

    @field_validator("concerns")
    @classmethod
    def _concerns_consistent(cls, codes: list[str]) -> list[str]:
        read = [LEGACY_CONCERNS[c].value if c in LEGACY_CONCERNS else c for c in codes]
        repeated = sorted({c for c in read if read.count(c) > 1})
        if repeated:
            raise ValueError(
                f"repeats {', '.join(repeated)} (legacy codes count as their successor)"
            )
        if NO_FACTORS in read and len(read) > 1:
            raise ValueError("combines 21 (no factors identified) with other codes")
        return codes


class BatchIn(BaseModel):
    """Several contacts scored together, all or nothing."""

    model_config = ConfigDict(extra="forbid")

    contacts: list[ContactIn] = Field(
        min_length=1, description="1 to TRIAGE_MAX_BATCH (default 1,000) contacts."
    )


# --- the assessment ------------------------------------------------------------------------


class ModelRef(BaseModel):
    """The registered model version that gave an assessment."""

    name: str
    version: str
    run_id: str


class Interval(BaseModel):
    """How sure: where the estimate would fall had the model learned from other draws of the
    same history (percentile bootstrap of refits made at training time; docs/model.md)."""

    level: float = Field(gt=0, lt=1, description="Nominal coverage, e.g. 0.9.")
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    band_low: int = Field(ge=1)
    band_high: int = Field(ge=1)
    method: Literal["bootstrap"]
    replicates: int = Field(ge=2, description="How many refits the interval comes from.")
    text: str = Field(examples=["Between 14% and 29% (bands 5 to 7): ..."])


class Risk(BaseModel):
    """The calibrated probability of need within 12 months, its band and its interval."""

    probability: float = Field(ge=0, le=1)
    band: int = Field(ge=1)
    bands: int
    interval: Interval | None = Field(
        None,
        description=(
            "Null when the model version was registered before intervals were stored; "
            "``limits`` then says so."
        ),
    )


class Limit(BaseModel):
    """One thing this estimate cannot see, in a sentence built from facts."""

    code: str = Field(
        description=(
            "narrative_not_input, defaulted:<field>, unknown:<field>, never_has, rare_cell, "
            "rare_cell_unknown, training_period, training_period_unknown, interval_unavailable, "
            "not_recorded"
        )
    )
    text: str
    n: int | None = Field(None, description="rare_cell: training contacts in the same cell.")


# Assessments stored before limits were made carry none: they are read with this one.
NOT_RECORDED = Limit(
    code="not_recorded",
    text="This assessment was stored before its limits were recorded: rescore to see them.",
)


class Contribution(BaseModel):
    """One contract field's (or concern code's) exact SHAP contribution, in words too."""

    field: str
    code: str | None
    value: bool | int | str
    shap: float
    text: str


class Explanation(BaseModel):
    """``base_value + sum(contributions.shap) == model_output`` (log-odds)."""

    method: str
    output_space: str
    base_value: float
    model_output: float
    contributions: list[Contribution]


class BandRange(BaseModel):
    min: int
    max: int


class SurfaceReliance(BaseModel):
    """How much of the estimate comes from who the child is and who called."""

    share: float
    flagged: bool
    threshold: float
    fields: list[str]
    band_if_surface_varied: BandRange
    text: str


class SubstantiveRisk(BaseModel):
    """The estimate with the surface fields at their neutral (baseline) values."""

    probability: float
    band: int
    text: str


class SentenceModelRef(BaseModel):
    """The sentence model that read the narrative, by name and model-file SHA-256."""

    name: str
    sha256: str | None = Field(description="Null when the model file could not be read.")


class NarrativeSuggestion(BaseModel):
    """An uncoded concern the narrative may describe: a prompt, never a verdict."""

    code: str = Field(description="A concern code not among the coded concerns.")
    text: str = Field(description="The prompt a worker reads, quoting the sentence.")
    sentence: str = Field(description="The narrative's sentence that suggested it.")
    similarity: float = Field(description="The sentence's score for the concern (0 to 1).")


class NarrativeCheck(BaseModel):
    """What the narrative check found; it never changes the estimate (docs/narrative.md)."""

    available: bool = Field(description="False when the sentence model is missing or refused.")
    model: SentenceModelRef
    suggestions: list[NarrativeSuggestion] = Field(
        description="At most 3, most similar first; empty without a narrative."
    )


class Assessment(BaseModel):
    """The second opinion on one contact (api.md), with the model that gave it."""

    contact_id: str
    model: ModelRef
    risk: Risk
    explanation: Explanation
    surface_reliance: SurfaceReliance
    substantive_risk: SubstantiveRisk
    narrative_check: NarrativeCheck | None = Field(
        None, description="Uncoded concerns the narrative may describe; null if stored before."
    )
    limits: list[Limit] = Field(
        default_factory=lambda: [NOT_RECORDED],
        description="What this estimate cannot see, each in a sentence (docs/contract/api.md).",
    )
    assessed_at: datetime
    warnings: list[str] = Field(
        default_factory=list, description="What was read differently (legacy codes, clock changes)."
    )


class RevisionAssessment(Assessment):
    """The assessment of a contact's revision, with the revision's number (1 is the first)."""

    revision: int = Field(ge=1)


class ChangedField(BaseModel):
    """A field a revision changed; a narrative's old and new text are never given (null)."""

    field: str
    old: Any = None
    new: Any = None


class Revision(BaseModel):
    """One revision of a contact's record: when, by whom, its estimate and what it changed."""

    revision: int
    received_at: datetime = Field(description="As this revision's record says.")
    created_at: datetime
    created_by: str
    probability: float
    band: int
    changed_fields: list[ChangedField] = Field(
        description="Against the revision before; empty for the first."
    )


class BatchOut(BaseModel):
    """The assessments of a batch, in the order sent."""

    assessments: list[Assessment]


class StoredContact(BaseModel):
    """A contact as stored: codes normalised, times in UTC."""

    contact_id: str
    received_at: datetime
    child_age_years: int
    referral_source: str
    concerns: list[str]
    prior_contacts_12m: int
    previous_cp_plan: bool
    early_help_open: bool
    child_sex: str
    child_ethnicity: str
    child_disability: str
    team_id: str | None
    narrative: str | None
