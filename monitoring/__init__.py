"""Monitoring: drift, decision patterns, workload and performance month by month (pure).

:func:`monitor` takes contact records with the estimates they were given and the champion's
reference profile and returns a :class:`MonitorReport` (``report.to_json()`` never contains NaN;
``report.alerts`` says what alerts now and since when); :func:`render_html` turns it into one
self-contained page. :mod:`monitoring.registry` reads the champion's profile from MLflow and
records a report's summary in the version's model card. See docs/monitoring.md.
"""

from monitoring.checks import ALERT_KINDS, Alert, AlertKind, Check
from monitoring.drift import BAD_EPSILON, BAD_PROFILE, BAD_PSI_BANDS, psi
from monitoring.html import render_html, write_html
from monitoring.monitor import BAD_MIN_AUC, BAD_MIN_N, BAD_OUTCOME_MONTHS, BAD_WINDOW, monitor
from monitoring.report import MonitorReport
from reporting import BAD_ALPHA, BAD_RATIO_BAND, EMPTY

__all__ = [
    "ALERT_KINDS",
    "BAD_ALPHA",
    "BAD_EPSILON",
    "BAD_MIN_AUC",
    "BAD_MIN_N",
    "BAD_OUTCOME_MONTHS",
    "BAD_PROFILE",
    "BAD_PSI_BANDS",
    "BAD_RATIO_BAND",
    "BAD_WINDOW",
    "EMPTY",
    "Alert",
    "AlertKind",
    "Check",
    "MonitorReport",
    "monitor",
    "psi",
    "render_html",
    "write_html",
]
