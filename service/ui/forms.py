"""Form input to the API's schemas, and their validation errors to messages next to fields.

The pages validate with the same pydantic schemas as the JSON routes (``ContactIn``,
``DecisionIn``, ``ResolveIn``); here only the HTML form's strings become the JSON types those
schemas expect, and each error becomes one sentence for its field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from data.codes import (
    AGE_BANDS,
    AssessmentOutcome,
    Concern,
    Decision,
    Disability,
    Ethnicity,
    LateReason,
    Reason,
    ReferralSource,
    Sex,
)
from service.decisions.flags import FlagCode

REASON_LABELS = {
    Reason.NO_CONCERNS_IDENTIFIED: "No concerns identified",
    Reason.CONCERNS_NOT_SUBSTANTIATED: "Concerns not substantiated",
    Reason.ALREADY_SUPPORTED: "Already supported (another agency or an open case)",
    Reason.INSUFFICIENT_INFORMATION: "Not enough information",
    Reason.CHILD_AGE: "The child's age",
    Reason.REFERRAL_SOURCE: "Who made the contact",
    Reason.OTHER: "Other (say why in the note)",
}
FLAG_LABELS = {
    FlagCode.NFA_DESPITE_SUBSTANTIVE_RISK: "No further action despite substantive risk",
    FlagCode.NFA_ON_SURFACE_FEATURES_ONLY: "No further action on surface features only",
    FlagCode.MORE_INFORMATION_DESPITE_SUBSTANTIVE_RISK: "More information despite substantive risk",
    FlagCode.SIGNPOST_DESPITE_SUBSTANTIVE_RISK: "Signposted despite substantive risk",
}
CONTACT_LABELS = {
    "contact_id": "Contact ID",
    "received_at": "Date and time received",
    "child_age_years": "Child's age in years",
    "referral_source": "Who made the contact",
    "concerns": "Concerns",
    "prior_contacts_12m": "Contacts in the last 12 months",
    "previous_cp_plan": "Previous child protection plan",
    "early_help_open": "Early help open",
    "child_sex": "Sex",
    "child_ethnicity": "Ethnicity",
    "child_disability": "Disability",
    "team_id": "Team",
    "narrative": "What was reported",
}
DECISION_LABELS = {
    "decision": "Decision",
    "reasons": "Reasons",
    "note": "Note",
    "review_by": "Review by",
    "outcome": "Outcome",
    "late_reasons": "Late reasons",
    "late_note": "Late note",
}
# The completion form's fields are prefixed where the decision form on the same page has the same
# name (``note``, ``late_reasons``, ``late_note``), so every id on the page is unique.
COMPLETION_FIELDS = {
    "completed_on": "completed_on",
    "outcome": "outcome",
    "note": "assessment_note",
    "late_reasons": "assessment_late_reasons",
    "late_note": "assessment_late_note",
}
COMPLETION_LABELS = {
    "completed_on": "Date completed",
    "outcome": "Outcome",
    "note": "Assessment note",
    "late_reasons": "Late reasons",
    "late_note": "Late note",
}
CHOICES: dict[str, list[tuple[str, ...]]] = {
    "referral_source": [(c.value, f"{c.value}: {c.label}") for c in ReferralSource],
    "concerns": [(c.value, c.label, c.phrase) for c in Concern],
    "child_sex": [(c.value, c.label) for c in Sex],
    "child_ethnicity": [(c.value, c.label) for c in Ethnicity],
    "child_disability": [(c.value, c.label) for c in Disability],
    "decision": [(c.value, c.label) for c in Decision],
    "reasons": list(REASON_LABELS.items()),
    "late_reasons": [(c.value, c.label) for c in LateReason],
    "assessment_outcome": [(c.value, c.label) for c in AssessmentOutcome],
    "flag": list(FLAG_LABELS.items()),
    "age_band": [(label, label) for label, _, _ in AGE_BANDS],
}
M = TypeVar("M", bound=BaseModel)
CONTACT_INTS = ("child_age_years", "prior_contacts_12m")
CONTACT_BOOLS = ("previous_cp_plan", "early_help_open")
CONTACT_TEXT = (
    "contact_id",
    "received_at",
    "referral_source",
    "child_sex",
    "child_ethnicity",
    "child_disability",
    "team_id",
    "narrative",
)


def contact_input(form: FormData) -> dict[str, Any]:
    """A contact form as the JSON body ``ContactIn`` takes (blank optional fields left out)."""
    body: dict[str, Any] = {}
    for name in CONTACT_TEXT:
        value = str(form.get(name) or "").strip() if name != "narrative" else form.get(name)
        if value:
            body[name] = value
    for name in CONTACT_INTS:
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = int(value) if value.isdigit() and len(value) < 20 else value
    for name in CONTACT_BOOLS:
        value = form.get(name)
        if value in ("yes", "no"):
            body[name] = value == "yes"
    body["concerns"] = [str(c) for c in form.getlist("concerns")]
    return body


def decision_input(form: FormData, *, with_outcome: bool = False) -> dict[str, Any]:
    """A decision (or review resolution) form as the JSON body its schema takes."""
    body: dict[str, Any] = {
        "reasons": [str(r) for r in form.getlist("reasons")],
        "note": str(form.get("note") or ""),
    }
    if not with_outcome:
        body["late_reasons"] = [str(r) for r in form.getlist("late_reasons")]
        body["late_note"] = str(form.get("late_note") or "")
    for name in ("decision", "review_by", *(("outcome",) if with_outcome else ())):
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = value
    if with_outcome and body.get("outcome") != "overturned":
        # An upheld decision stands as it is: what was typed for a new one is not sent.
        body.pop("decision", None)
        body.pop("review_by", None)
        body["reasons"] = []
    return body


def completion_input(form: FormData) -> dict[str, Any]:
    """The assessment completion form as the JSON body ``CompletionIn`` takes."""
    body: dict[str, Any] = {
        "note": str(form.get(COMPLETION_FIELDS["note"]) or ""),
        "late_reasons": [str(r) for r in form.getlist(COMPLETION_FIELDS["late_reasons"])],
        "late_note": str(form.get(COMPLETION_FIELDS["late_note"]) or ""),
    }
    for name in ("completed_on", "outcome"):
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = value
    return body


def on_completion_form(found: dict[str, Any]) -> dict[str, Any]:
    """Values or messages keyed by ``CompletionIn``'s names, keyed by the form's field names."""
    return {COMPLETION_FIELDS.get(name, name): value for name, value in found.items()}


def validate(
    schema: type[M], body: dict[str, Any], labels: dict[str, str]
) -> tuple[M | None, dict[str, str]]:
    """The body as ``schema``, or None and one message per field."""
    try:
        return schema.model_validate(body), {}
    except ValidationError as error:
        # For mypy: pydantic's ErrorDetails is a TypedDict of the same shape
        return None, messages(error.errors(), labels)  # type: ignore[arg-type]


def messages(errors: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, str]:
    """The first error of each field, as a sentence naming the field."""
    found: dict[str, str] = {}
    for error in errors:
        loc = [part for part in error["loc"] if part != "body"]
        field = str(loc[0]) if loc else "form"
        if field not in found:
            found[field] = sentence(labels.get(field, field), error)
    return found


def sentence(label: str, error: dict[str, Any]) -> str:
    """One validation error in words."""
    if error["type"] == "missing":
        return f"{label}: enter or choose a value"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{label}: {message[0].lower()}{message[1:]}" if message else label
