"""Charts for PDFs as SVG drawn on the server (WeasyPrint runs no JavaScript)."""

from __future__ import annotations

from datetime import date, timedelta
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from markupsafe import Markup

FONT = "Noto Sans CJK SC"


def dimension_chart(rows) -> Markup:
    """Closed and open items per dimension and sub-dimension: a horizontal stacked bar."""
    import pygal
    from pygal.style import Style

    if not rows:
        return Markup("")
    style = Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        colors=("#2e7d32", "#f0a020"),
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        value_font_size=10,
    )
    chart = pygal.HorizontalStackedBar(
        style=style,
        width=760,
        height=max(180, 26 * len(rows) + 70),
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        show_y_guides=False,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
        margin=6,
    )
    # pygal draws the first label at the bottom: reverse so the chart reads like the table.
    ordered = list(reversed(rows))
    chart.x_labels = [("　" * row.depth) + row.name for row in ordered]
    chart.add(_("Closed"), [row.closed for row in ordered])
    chart.add(_("Open"), [row.open for row in ordered])
    return Markup(chart.render(is_unicode=True))


def schedule_chart(items, day: date, limit: int = 40) -> Markup:
    """The landing schedule (落地排期) of open items as a Gantt-like SVG.

    One row per item (the ``limit`` earliest deadlines): a bar from its first milestone's
    start to its deadline, a diamond per milestone (filled when done), a line for the day.
    """
    rows = [item for item in items if item.deadline or item.milestones][:limit]
    if not rows:
        return Markup("")
    start = day - timedelta(days=30)
    end = day + timedelta(days=150)
    width, label_w, row_h, top = 760, 170, 16, 24
    span = (end - start).days
    plot_w = width - label_w - 10

    def x(when: date) -> float:
        offset = min(max((when - start).days, 0), span)
        return label_w + plot_w * offset / span

    height = top + row_h * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="9">'
    ]
    # Month ticks.
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            px = x(month)
            parts.append(
                f'<line x1="{px:.1f}" y1="{top - 6}" x2="{px:.1f}" y2="{height - 4}" '
                'stroke="#d6dbe3" stroke-width="0.6"/>'
                f'<text x="{px + 2:.1f}" y="{top - 9}" fill="#667">{month:%Y-%m}</text>'
            )
        month = (month + timedelta(days=32)).replace(day=1)
    for index, item in enumerate(rows):
        y = top + index * row_h
        issue = item.issue
        label = f"{issue.code} {issue.title}"
        label = label if len(label) <= 17 else label[:16] + "…"
        parts.append(f'<text x="2" y="{y + 11}" fill="#1d2330">{escape(label)}</text>')
        dates = [m.starts_on or m.due_on for m in item.milestones] + [
            m.due_on for m in item.milestones
        ]
        first = min(dates) if dates else item.deadline
        last = max([d for d in [item.deadline, *dates] if d])
        colour = "#c62828" if item.red else "#3b6fb6"
        bar_x, bar_end = x(first), x(last)
        parts.append(
            f'<rect x="{bar_x:.1f}" y="{y + 4}" width="{max(bar_end - bar_x, 2):.1f}" '
            f'height="8" rx="2" fill="{colour}" fill-opacity="0.35"/>'
        )
        for m in item.milestones:
            mx = x(m.due_on)
            fill = "#2e7d32" if m.done_on else ("#c62828" if m.due_on < day else "white")
            parts.append(
                f'<path d="M{mx:.1f} {y + 3} l4 5 l-4 5 l-4 -5 z" fill="{fill}" '
                'stroke="#1d2330" stroke-width="0.6"/>'
            )
    today_x = x(day)
    parts.append(
        f'<line x1="{today_x:.1f}" y1="{top - 6}" x2="{today_x:.1f}" y2="{height - 4}" '
        'stroke="#c62828" stroke-width="1" stroke-dasharray="3 2"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
