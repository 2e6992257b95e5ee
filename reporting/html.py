"""Helpers for one self-contained HTML page: escaping, embedded plots, the page and its parts.

Every piece of text goes through :func:`escape`; plots are drawn on matplotlib figures that
never touch pyplot's global state (the Agg canvas), so rendering is safe inside a server.
matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reporting.jsonsafe import clean


def escape(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def png_img(figure: Any, alt: str) -> str:
    """An ``<img>`` holding the figure as base64 PNG (90 dpi), with its alt text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def caveats_section(caveats: Iterable[str]) -> str:
    """The "Read with care" section: one list item per caveat."""
    items = "".join(f"<li class='caveat'>{escape(c)}</li>" for c in caveats)
    return f"<section><h2>Read with care</h2><ul>{items}</ul></section>"


def settings_section(settings: Mapping[str, Any]) -> str:
    """The "Settings" section: the report's settings as indented JSON."""
    text = json.dumps(clean(settings), indent=2, ensure_ascii=False)
    return f"<section><h2>Settings</h2><pre>{escape(text)}</pre></section>"


def page(title: str, style: str, body: str) -> str:
    """A whole HTML document with its title, inline style and body."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{style}</style></head><body>\n{body}\n</body></html>\n"
    )


def write_page(text: str, path: str | Path) -> Path:
    """Write a page to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path
