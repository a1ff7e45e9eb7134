"""Self-contained HTML reports: every picture embedded as a PNG data URI, no
scripts, no external requests (a Content-Security-Policy forbids them), every
string from data, file or class names escaped by Jinja2's autoescaping."""

from __future__ import annotations

import base64
import datetime
import io
from pathlib import Path

from matplotlib.figure import Figure

from aedetect.files import write_text


def figure(fig: Figure, caption: str, dpi: int = 80) -> dict:
    """A figure as an embeddable PNG (``uri``, pixel ``width``/``height``) with its caption."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    width, height = (int(v * dpi) for v in fig.get_size_inches())
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"uri": uri, "caption": caption, "width": width, "height": height}


def table(header: list[str], rows: list[list], caption: str = "") -> dict:
    def fmt(v):
        return "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)

    return {"header": header, "rows": [[fmt(v) for v in row] for row in rows], "caption": caption}


def render(title: str, subtitle: str, reading: list[str], sections: list[dict],
           warnings: list[str] | None = None) -> str:
    """The report page. ``sections``: dicts with ``title`` and optional ``text``,
    ``tables`` (from :func:`table`), ``figures`` (from :func:`figure`) and
    ``figures_first`` (figures above the tables, for long tables)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from aedetect import __version__

    env = Environment(loader=PackageLoader("aedetect.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    sections = [{"text": "", "tables": [], "figures": [], "figures_first": False, **s} for s in sections]
    return env.get_template("report.html").render(
        title=title, subtitle=subtitle, reading=reading, sections=sections, warnings=warnings or [],
        version=__version__, date=datetime.date.today().isoformat())


def write_report(path: str | Path, **kwargs) -> Path:
    """Render (see :func:`render`) and write atomically to ``path``."""
    return write_text(path, render(**kwargs))
