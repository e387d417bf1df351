"""How the staff pages look: the Jinja2 environment (autoescape on) and the server-side chart."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import data
from . import texts as T

__all__ = ["PREFIX", "chart", "environment"]

PREFIX = "/staff"
HERE = Path(__file__).parent
_SCRIPT = re.compile(r"<script.*?</script>|<!--.*?-->", re.S)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(T=T, prefix=PREFIX)
    env.filters["thai_time"] = _thai_time
    return env


def _thai_time(ts: str) -> str:
    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return ts
    return moment.astimezone(data.BANGKOK).strftime("%Y-%m-%d %H:%M")


def _pygal() -> Any:
    """pygal, imported when first drawn. pygal appends a legacy import hook (for its map plugins,
    unused here) that makes every later failed import warn; take it out again."""
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def chart(days: list[data.DayCount]) -> str:
    """A stacked bar chart as inline SVG: rendered here, no script, nothing from a CDN."""
    pygal = _pygal()
    style = pygal.style.Style(
        font_family="'Sarabun', 'Loma', 'Garuda', 'Noto Sans Thai', sans-serif",
        colors=("#2f7d4a", "#c2410c"),
        background="transparent",
        plot_background="transparent",
    )
    chart = pygal.StackedBar(
        js=[],
        disable_xml_declaration=True,
        width=900,
        height=320,
        style=style,
        legend_at_bottom=True,
        print_values=False,
        title=T.CHART_TITLE,
    )
    chart.x_labels = [d.day[5:] for d in days]
    chart.add(T.CHART_ANSWERED, [d.answered for d in days])
    chart.add(T.CHART_UNANSWERED, [d.unanswered for d in days])
    return _SCRIPT.sub("", chart.render(is_unicode=True))
