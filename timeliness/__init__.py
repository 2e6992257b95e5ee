"""Timeliness of front-door decisions and assessments, with the reasons when late (pure)."""

from timeliness.report import TimelinessOptions, timeliness_report

__all__ = ["TimelinessOptions", "timeliness_report"]
