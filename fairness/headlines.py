"""Plain sentences a team leader can act on, written from the findings."""

from __future__ import annotations

import math
from collections.abc import Sequence

from data.codes import ReferralSource
from fairness.groups import INTERSECTION
from fairness.report import Finding

MAX_UNCLEAR = 3
_SOURCE_PHRASE = {c.value: c.phrase for c in ReferralSource}
_ETHNICITY = {
    "White": "recorded as White",
    "Mixed": "recorded as Mixed",
    "Asian": "recorded as Asian",
    "Black": "recorded as Black",
    "Other": "recorded as Chinese or another ethnic group",
    "Not known": "whose ethnicity is not recorded",
}
_SEX_NOUN = {"F": "girls", "M": "boys", "U": "children whose sex is not recorded"}
_SEX_QUALIFIER = {"F": "who are girls", "M": "who are boys", "U": "whose sex is not recorded"}
_DISABILITY = {
    "Y": "recorded as disabled",
    "N": "recorded as not disabled",
    "U": "whose disability is not recorded",
}
_GENERIC_NAMES = {
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "selection_rate": "selection rate",
    "precision": "precision",
}
LOW_COVERAGE = 0.8  # below this share of observed outcomes, model sentences carry the caveat
CANNOT_TELL = ", but with these numbers the data cannot tell whether this is more than chance"


def noun(attribute: str, group: str) -> str:
    """A plural noun phrase for a group: "13–15-year-olds", "children referred by the police"."""
    parts = attribute.split(INTERSECTION)
    values = group.split(INTERSECTION)
    if len(parts) == 2 and len(values) == 2:
        return f"{noun(parts[0], values[0])} {_qualifier(parts[1], values[1])}"
    if attribute == "age_band":
        return "babies under 1 (including unborn)" if group == "0" else f"{_dash(group)}-year-olds"
    if attribute == "sex" and group in _SEX_NOUN:
        return _SEX_NOUN[group]
    if attribute in ("referral_source", "ethnicity", "disability"):
        return f"children {_qualifier(attribute, group)}"
    return f"the {group} group of {attribute}"


def _dash(band: str) -> str:
    return band.replace("-", "–")


def _qualifier(attribute: str, group: str) -> str:
    if attribute == "age_band":
        return "under 1" if group == "0" else f"aged {_dash(group)}"
    if attribute == "referral_source":
        return f"referred by {_SOURCE_PHRASE.get(group, 'source ' + group)}"
    if attribute == "ethnicity":
        return _ETHNICITY.get(group, f"recorded as {group}")
    if attribute == "sex":
        return _SEX_QUALIFIER.get(group, f"of sex {group}")
    if attribute == "disability":
        return _DISABILITY.get(group, f"with disability {group}")
    return f"in {attribute} {group}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ci(interval: tuple[float, float], spec: str) -> str:
    """ " (95% CI a–b)", or "" when the interval is unknown."""
    lo, hi = interval
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f" (95% CI {lo:{spec}}–{hi:{spec}})"


def _ratio_spec(finding: Finding) -> str:
    return ".2f" if finding.ratio < 1 else ".1f"


def _days(f: Finding, who: str, ref: str) -> str:
    details = f.details
    speed = "more slowly" if details.get("direction") == "slower" else "more quickly"
    lo, hi = details.get("difference_ci", (math.nan, math.nan))
    ci = f", 95% CI {lo:+.1f} to {hi:+.1f}" if math.isfinite(lo) and math.isfinite(hi) else ""
    return (
        f"Contacts about {who} were decided {speed} than those about {ref} at the same "
        f"estimated risk: a median of {f.value:.1f} working days against "
        f"{f.reference_value:.1f} (difference {f.difference:+.1f}{ci}); 90th percentile "
        f"{details.get('p90', math.nan):.0f} against {details.get('reference_p90', math.nan):.0f}"
    )


def _decisions(f: Finding, who: str, ref: str) -> str:
    if f.metric == "days_to_decision":
        return _days(f, who, ref)
    action = (
        "given NFA"
        if f.metric == "nfa_rate"
        else "escalated to an assessment or a strategy discussion"
    )
    if not math.isfinite(f.ratio):
        times = "far more often than"
    else:
        times = f"{f.ratio:{_ratio_spec(f)}} times as often as"
    return (
        f"{_capital(who)} were {action} {times} {ref} at the same estimated risk"
        f"{_ci(f.ratio_ci, _ratio_spec(f))}"
    )


def _model(f: Finding, who: str, ref: str) -> str:
    if f.metric == "calibration_oe":
        direction = "too low" if f.value > f.reference_value else "too high"
        return (
            f"For {who} the model's estimates were {direction}: observed outcomes were "
            f"{f.value:.2f} times its estimate{_ci(f.ci, '.2f')}, against "
            f"{f.reference_value:.2f} for {ref}"
        )
    if f.metric == "fnr":
        return (
            f"At the review threshold the model did not flag {f.value:.0%} of {who} who went on "
            f"to need services{_ci(f.ci, '.0%')}, against {f.reference_value:.0%} of {ref}"
        )
    if f.metric == "fpr":
        return (
            f"At the review threshold the model flagged {f.value:.0%} of {who} who did not go on "
            f"to need services{_ci(f.ci, '.0%')}, against {f.reference_value:.0%} of {ref}"
        )
    if f.metric == "auc":
        better = "less" if f.difference < 0 else "more"
        return (
            f"The model ranked risk {better} well for {who} (AUC {f.value:.2f}"
            f"{_ci(f.ci, '.2f').replace(' (', ', ').rstrip(')')}) than for {ref} "
            f"(AUC {f.reference_value:.2f})"
        )
    if f.metric == "surface_share":
        return (
            f"For {who}, {f.value:.0%} of the estimate came from surface features (age and "
            f"referral source), against {f.reference_value:.0%} for {ref}"
        )
    return (
        f"Outcomes were observed for {f.value:.0%} of {who}, against {f.reference_value:.0%} of "
        f"{ref}, so the model audit is less reliable for the group with fewer"
    )


def sentence(finding: Finding, *, coverage: float | None = None) -> str:
    """One sentence for a comparison: a disparity, or a large effect the data cannot confirm.

    ``coverage`` (model audit) is the group's share of observed outcomes; when low, the sentence
    says that selective labels may explain part of the difference.
    """
    who = noun(finding.attribute, finding.group)
    ref = noun(finding.attribute, finding.reference)
    if finding.audit == "decisions":
        text = _decisions(finding, who, ref)
    elif finding.audit == "workload":
        step = finding.details.get("volume_step", 1.25)
        text = (
            f"In team {finding.group}, the odds of NFA at the same estimated risk were "
            f"{finding.ratio:.2f} times as high in a month with {step - 1:.0%} more contacts "
            f"than the team's usual{_ci(finding.ci, '.2f')}"
        )
    elif finding.audit == "model":
        text = _model(finding, who, ref)
    else:
        name = _GENERIC_NAMES.get(finding.metric, finding.metric)
        text = (
            f"{_capital(who)} had a {name} of {finding.value:.1%}{_ci(finding.ci, '.1%')}, "
            f"{finding.ratio:.2f} times that of {ref} ({finding.reference_value:.1%})"
        )
    if finding.verdict != "disparity":
        text += CANNOT_TELL
    if coverage is not None and coverage < LOW_COVERAGE:
        text += (
            f"; outcomes were observed for only {coverage:.0%} of them, so selective labels may "
            "explain part of this"
        )
    return text + "."


# Headline quotas by kind of disparity, in the order they are told: a page of sentences a team
# leader reads, with the full list in the findings.
_QUOTAS: tuple[tuple[str, int], ...] = (
    ("decisions: nfa_rate", 6),
    ("workload", 4),
    ("decisions: escalation_rate", 4),
    ("decisions: days_to_decision", 4),
    ("generic", 8),
    ("model: calibration_oe", 3),
    ("intersections", 3),
    ("model", 2),
)


def _kind(finding: Finding) -> str:
    if finding.audit == "decisions" and INTERSECTION in finding.attribute:
        return "intersections"
    if finding.audit == "decisions" or finding.metric == "calibration_oe":
        return f"{finding.audit}: {finding.metric}"
    return finding.audit


def headlines(findings: Sequence[Finding], *, mode: str) -> list[str]:
    """The report's headline sentences: disparities first, then what the data cannot tell."""
    disparities = [f for f in findings if f.verdict == "disparity"]
    coverage = {(f.attribute, f.group): f.value for f in findings if f.metric == "label_coverage"}
    lines = []
    for kind, quota in _QUOTAS:
        mine = sorted((f for f in disparities if _kind(f) == kind), key=lambda f: -_size(f))
        lines += [
            sentence(
                f, coverage=coverage.get((f.attribute, f.group)) if f.audit == "model" else None
            )
            for f in mine[:quota]
        ]
    if len(disparities) > len(lines):
        lines.append(
            f"{len(disparities) - len(lines)} further disparities are listed in the findings."
        )
    if not disparities:
        scope = "decisions, the model or workload" if mode == "contract" else "any metric"
        lines.append(f"No disparity was detected in {scope} for any group audited.")
    unclear = sorted(
        (
            f
            for f in findings
            if f.verdict == "no_disparity_detected"
            and f.material
            and f.audit in ("decisions", "workload", "generic")
            and INTERSECTION not in f.attribute
        ),
        key=lambda f: -_size(f),
    )
    lines += [sentence(f) for f in unclear[:MAX_UNCLEAR]]
    small = sorted(
        {
            (f.attribute, f.group, f.n)
            for f in findings
            if f.verdict == "insufficient_data"
            and f.audit in ("decisions", "generic")
            and INTERSECTION not in f.attribute
        }
    )
    if small:
        groups = "; ".join(f"{noun(a, g)} ({n:,})" for a, g, n in small[:8])
        more = f"; and {len(small) - 8} more" if len(small) > 8 else ""
        lines.append(
            f"Too few records to tell whether these groups are treated differently: {groups}{more}."
        )
    return lines


def _size(finding: Finding) -> float:
    if finding.metric == "auc":
        return abs(finding.difference)
    ratio = finding.ratio
    if not math.isfinite(ratio) or ratio <= 0:
        return math.inf
    return abs(math.log(ratio))
