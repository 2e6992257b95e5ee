"""JSON that never contains NaN: numpy values made plain, and the reports' JSON methods."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


def clean(value: Any) -> Any:
    """Return ``value`` with NaN/inf as ``None`` and numpy scalars as Python ones, recursively."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def created_now() -> str:
    """The current UTC time to the second, as a report's ``created`` stamp."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class StrictJson:
    """JSON methods for a report that defines ``to_dict`` (JSON-safe values)."""

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe values (each report defines it)."""
        raise NotImplementedError

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as strict JSON (``allow_nan=False``: a NaN would be a bug, not a value)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def write_json(self, path: str | Path) -> Path:
        """Write the report as JSON and return the path."""
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path
