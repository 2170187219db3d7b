"""KPI charts as server-side SVG (pygal): the trend of the readings and the target line.

The same SVG serves the KPI page, the battle map and PDFs (WeasyPrint runs no
JavaScript), so it must stand on its own: pygal's tooltip script is removed, nothing
outside the file is referenced, and its styles live in the SVG's own ``<style>``.
"""

from __future__ import annotations

import base64
import sys
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeTree
import pygal
from flask_babel import gettext as _
from pygal.style import Style

from app.kpis.models import Kpi

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path;
# it lacks ``find_spec``, so every later import warns. Take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ElementTree.register_namespace("", SVG)
ElementTree.register_namespace("xlink", XLINK)

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'
STYLE = Style(
    font_family=FONT,
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0d6efd", "#dc3545", "#6c757d"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    guide_stroke_color="#dee2e6",
    major_guide_stroke_color="#ced4da",
    guide_stroke_dasharray="2,4",
    major_guide_stroke_dasharray="2,4",
)


def _number(value) -> float:
    return float(value)


def _line_chart(width: int, height: int, small: bool, points: int, **options) -> pygal.Line:
    """A line chart in the house's style with ``points`` labels along the bottom."""
    return pygal.Line(
        width=width,
        height=height,
        style=STYLE,
        js=[],
        show_legend=not small,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        dots_size=3,
        x_label_rotation=0 if points <= 6 else 30,
        truncate_label=-1,
        print_values=False,
        margin=8,
        no_data_text=_("No readings yet"),
        disable_xml_declaration=True,
        **options,
    )


def kpi_chart(kpi: Kpi, width: int = 640, height: int = 300, small: bool = False) -> bytes:
    """The KPI's readings as a line, with its target (and baseline) as flat lines."""
    readings = list(kpi.readings)
    chart = _line_chart(
        width,
        height,
        small,
        len(readings),
        show_dots=not small or len(readings) <= 1,
        show_minor_x_labels=len(readings) <= 12,
    )
    chart.uuid = f"kpi-{kpi.id}"
    chart.x_labels = [r.period.strftime("%Y-%m") for r in readings]
    values = [_number(r.value) for r in readings]
    low = min(values + [_number(kpi.baseline), _number(kpi.target)])
    high = max(values + [_number(kpi.baseline), _number(kpi.target)])
    pad = (high - low) * 0.08 or 1
    chart.range = (low - pad, high + pad)
    chart.add(_("Actual"), values)
    if readings:
        chart.add(
            _("Target"),
            [_number(kpi.target)] * len(readings),
            show_dots=False,
            stroke_style={"width": 2.5, "dasharray": "8,4"},
        )
        chart.add(
            _("Baseline"),
            [_number(kpi.baseline)] * len(readings),
            show_dots=False,
            stroke_style={"width": 1.5, "dasharray": "3,3"},
        )
    return _self_contained(chart.render())


def unit_chart(kpi: Kpi, row, width: int = 640, height: int = 300, small: bool = False) -> bytes:
    """One unit's readings against its planned path (its targets, period by period)."""
    cells = list(row.cells)
    chart = _line_chart(width, height, small, len(cells))
    chart.uuid = f"kpi-{kpi.id}-unit-{row.unit.org_unit_id}"
    chart.x_labels = [c.period.label for c in cells]
    actual = [_number(c.actual) if c.actual is not None else None for c in cells]
    planned = [_number(c.target) if c.target is not None else None for c in cells]
    known = [v for v in actual + planned if v is not None]
    if row.unit.baseline is not None:
        known.append(_number(row.unit.baseline))
    if known:
        low, high = min(known), max(known)
        pad = (high - low) * 0.08 or 1
        chart.range = (low - pad, high + pad)
    if any(v is not None for v in actual):
        chart.add(_("Actual"), actual)
    if any(v is not None for v in planned):
        chart.add(_("Planned path"), planned, stroke_style={"width": 2.5, "dasharray": "8,4"})
    if row.unit.baseline is not None and known:
        chart.add(
            _("Baseline"),
            [_number(row.unit.baseline)] * len(cells),
            show_dots=False,
            stroke_style={"width": 1.5, "dasharray": "3,3"},
        )
    return _self_contained(chart.render())


def _self_contained(svg: bytes) -> bytes:
    """Drop pygal's scripts (tooltips need them; a static chart does not) and comments."""
    root = SafeTree.fromstring(svg)
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG}}}script":
                parent.remove(child)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def chart_data_uri(kpi: Kpi, **options) -> str:
    """The chart as a ``data:`` URI, for PDFs (an ``<img>`` WeasyPrint draws as vectors)."""
    encoded = base64.b64encode(kpi_chart(kpi, **options)).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"
