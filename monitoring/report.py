"""The monitoring report: checks by section, alerts, tables; strict JSON (null, never NaN)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitoring.checks import ALERT_KINDS, OPTIONAL_KINDS, Alert, Check
from reporting import StrictJson, clean, created_now

REPORT_VERSION = 1
SECTIONS: dict[str, str] = {
    "input_drift": "input_drift",
    "estimate_drift": "estimate_drift",
    "decision_disparity": "decision_patterns",
    "workload": "workload",
    "performance": "performance",
}
# Tables that belong with each section in the JSON.
SECTION_TABLES: dict[str, tuple[str, ...]] = {
    "decision_patterns": ("deflections", "reviews", "flags"),
    "workload": ("team_months",),
    "performance": ("label_coverage",),
}
SUMMARY_ALERTS = 20


@dataclass
class MonitorReport(StrictJson):
    """What :func:`monitoring.monitor` found, month by month, and what alerts now."""

    rows: int
    months: list[dict[str, Any]]
    reference: dict[str, Any]
    settings: dict[str, Any]
    adjustment: dict[str, Any]
    caveats: list[str]
    checks: list[Check]
    alerts: list[Alert]
    tables: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=created_now)

    def select(
        self,
        *,
        kind: str | None = None,
        what: str | None = None,
        where: str | None = None,
        month: str | None = None,
    ) -> list[Check]:
        """The checks matching every criterion given."""
        wanted = {"kind": kind, "what": what, "where": where, "month": month}
        return [
            c
            for c in self.checks
            if all(v is None or getattr(c, k) == v for k, v in wanted.items())
        ]

    def alerts_of(self, kind: str) -> list[Alert]:
        """The current alerts of one kind."""
        return [a for a in self.alerts if a.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe values, one block per section."""
        out: dict[str, Any] = {
            "version": REPORT_VERSION,
            "created": self.created,
            "rows": self.rows,
            "months": clean(self.months),
            "reference": clean(self.reference),
            "settings": clean(self.settings),
            "adjustment": clean(self.adjustment),
            "caveats": list(self.caveats),
            "alerts": [a.to_dict() for a in self.alerts],
        }
        for kind in ALERT_KINDS:
            section = SECTIONS[kind]
            block: dict[str, Any] = {"checks": [c.to_dict() for c in self.checks if c.kind == kind]}
            for name in SECTION_TABLES.get(section, ()):
                block[name] = clean(self.tables.get(name))
            out[section] = block
        # Optional kinds get a section only when the report has their checks (timeliness).
        for kind in OPTIONAL_KINDS:
            found = [c.to_dict() for c in self.checks if c.kind == kind]
            if found:
                out[kind] = {"checks": found}
        # Who read another team's contact under break-glass (None: the store was not read).
        out["access"] = {"break_glass": clean(self.tables.get("break_glass"))}
        return out

    def summary(self) -> dict[str, Any]:
        """A short record for the model card: the months, their alert counts and the alerts."""
        per_month = {m["month"]: 0 for m in self.months}
        for check in self.checks:
            if check.alert:
                per_month[check.month] = per_month.get(check.month, 0) + 1
        return clean(
            {
                "created": self.created,
                "rows": self.rows,
                "first_month": self.months[0]["month"] if self.months else None,
                "last_month": self.months[-1]["month"] if self.months else None,
                "reference": self.reference,
                "months": [
                    {"month": m["month"], "n": m["n"], "alerting_checks": per_month[m["month"]]}
                    for m in self.months
                ],
                "alerts": [
                    {
                        "kind": a.kind,
                        "what": a.what,
                        "where": a.where,
                        "since": a.since,
                        "strength": a.strength,
                        "measure": a.measure,
                        "message": a.message,
                    }
                    for a in self.alerts[:SUMMARY_ALERTS]
                ],
                "alerts_total": len(self.alerts),
            }
        )
