"""The rows of the problem list and the board, prepared once per page: each link, dot and
badge as the plain ``url_for`` and the macros of ``issues/_macros.html`` draw it."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import render_template_string, url_for
from markupsafe import Markup, escape

from app.core.scope import unscoped
from app.extensions import db
from app.issues.list_rows import CARD_VALUES, ROW_VALUES, Marks, id_url
from app.issues.models import LIGHTS, PRIORITIES, STATUSES
from app.issues.views import _LABELS
from app.people.models import User
from tests.factories import make_category, make_issue

_MACROS = (
    '{% from "issues/_macros.html" import light_dot, status_badge, priority_badge,'
    " supervised_badge with context %}"
)


def test_a_link_built_once_is_url_for_of_each_id(app):
    with app.test_request_context("/issues"):
        for endpoint in ("issues.issue_detail", "issues.change_status"):
            link = id_url(endpoint)
            for issue_id in (1, 7, 42, 10000, 987654):
                assert link(issue_id) == url_for(endpoint, issue_id=issue_id)


def test_each_dot_and_badge_is_what_its_macro_draws_in_both_languages(app):
    for locale in ("zh_CN", "en"):
        with app.test_request_context("/issues", headers={"Accept-Language": locale}):
            marks = Marks(_LABELS)
            for macro, values in (
                ("light_dot", LIGHTS),
                ("status_badge", STATUSES),
                ("priority_badge", PRIORITIES),
            ):
                for value in values:
                    drawn = render_template_string(_MACROS + "{{ " + macro + "(v) }}", v=value)
                    assert marks(macro, value) == drawn
                    assert marks(macro, value) is marks(macro, value)  # drawn once


def test_an_items_line_is_what_issue_line_draws_for_any_code_and_title(app):
    # Drawn once per light, major and supervision with markers, then filled per row:
    # the same markup, the row's code, title and link escaped as Jinja escapes them.
    line_macro = '{% from "issues/_macros.html" import issue_line with context %}'
    rows = [
        SimpleNamespace(
            id=7, code="KH-012", title="延边地区资金到账后流向他行", major=False, supervised=False
        ),
        SimpleNamespace(
            id=8, code="GL-019", title='<b>"R&D" 中心</b>', major=True, supervised=True
        ),
        SimpleNamespace(id=9, code="QD-{x}", title="标题 %s {0} \\1", major=True, supervised=False),
    ]
    for locale in ("zh_CN", "en"):
        with app.test_request_context("/my", headers={"Accept-Language": locale}):
            marks = Marks(_LABELS)
            for light in LIGHTS:
                for row in rows:
                    href = f"/issues/{row.id}?tf=2&x=<y>"
                    drawn = render_template_string(
                        line_macro + "{{ issue_line(i, light, href) }}",
                        i=row,
                        light=light,
                        href=href,
                    )
                    assert marks.line(row, light, href) == drawn


_TITLES = ["延边地区资金到账后流向他行", '<b>"R&D" 中心</b>', "标题 %s {0} \\1"]
_OWNERS = ["张三", "O'Neil & <Co>", "—"]


@pytest.mark.parametrize(
    ("macro", "shape_of", "extra"),
    [
        (
            "board_card",
            lambda light, i: (light, i == 1, i > 0, i != 1, i > 0),
            {"status": "in_progress", "status_url": "/issues/8/status", "blocked": "KH-001"},
        ),
        (
            "list_card",
            lambda light, i: (i > 0, light, i == 1, i > 0, i != 1),
            {
                "select_label": "选择 <KH>",
                "status_badge": "S",
                "priority_badge": "P",
                "category": "客户",
            },
        ),
        (
            "list_row",
            lambda light, i: (i != 2, light, i == 1, i > 0, i != 1),
            {
                "select_label": "Select <KH>",
                "status_badge": "S",
                "priority_badge": "P",
                "category": "<客户>",
            },
        ),
    ],
)
def test_a_card_or_row_is_what_its_macro_draws_for_any_values(app, macro, shape_of, extra):
    # Drawn once per shape (light, badges) with markers, then filled per row: the same
    # markup as the macro called with the row's values, escaped as Jinja escapes them
    # (a Markup value, a badge, goes in as it is).
    imported = '{% from "issues/_macros.html" import ' + macro + " with context %}"
    names = {"board_card": CARD_VALUES, "list_card": ROW_VALUES, "list_row": ROW_VALUES}[macro]
    for locale in ("zh_CN", "en"):
        with app.test_request_context("/board", headers={"Accept-Language": locale}):
            stamp = Marks(_LABELS).stamp(macro, names)
            for light in LIGHTS:
                for i, title in enumerate(_TITLES):
                    values = {
                        "id": 7 + i,
                        "version": 3,
                        "code": f"QD-{{{i}}}",
                        "title": title,
                        "href": f"/issues/{7 + i}?tf=2&x=<y>",
                        "owner": _OWNERS[i],
                        "deadline": "2026年12月1日" if i else "",
                    }
                    for name, value in extra.items():
                        markup = name.endswith("badge") or name in ("blocked", "select_label")
                        values[name] = Markup(f"<span>{value}</span>") if markup else value
                    values = {name: values[name] for name in names}
                    shape = shape_of(light, i)
                    drawn = render_template_string(
                        imported + "{{ " + macro + "(*shape, **values) }}",
                        shape=shape,
                        values=values,
                    )
                    assert stamp(shape, **values) == drawn
                    assert escape(title) in drawn and f"QD-{{{i}}}" in drawn


def _card(html: str, code: str, pattern: str) -> str:
    (found,) = [c for c in re.findall(pattern, html, re.S) if code in c]
    return found


def test_list_and_board_show_each_row_s_words_links_and_marks(app, world, login):
    with app.app_context(), unscoped():
        category = make_category(world.task_force_id, "督办一览", prefix="DB")
        marked = make_issue(
            category,
            "督办的重大事项",
            code="DB-901",
            major=True,
            supervised=True,
            priority="urgent",
            status="in_progress",
            owner_id=world.users["member"],
            acknowledged_at=None,
        )
        plain = make_issue(category, "普通事项", code="DB-902", priority="low", status="new")
        marked_id, plain_id = marked.id, plain.id
        names = {"member": db.session.get(User, world.users["member"]).display_name}
        db.session.commit()
    client = login("leader")

    listed = client.get("/issues").get_data(as_text=True)
    row = _card(listed, "DB-901", r"<tr>.*?</tr>")
    card = _card(listed, "DB-901", r'<li class="card issue-card.*?</li>')
    for shown in (row, card):
        assert f'href="/issues/{marked_id}"' in shown
        assert "重大" in shown and "未签收" in shown
        assert 'data-testid="supervised-badge"' in shown
        assert "status-in_progress" in shown
        assert 'aria-label="选择 DB-901"' in shown
    assert "priority-urgent" in row
    assert "督办一览" in row  # the category
    member_name = f">{names['member']}<"
    assert member_name in row
    other = _card(listed, "DB-902", r"<tr>.*?</tr>")
    assert f'href="/issues/{plain_id}"' in other
    assert "supervised-badge" not in other and "未签收" not in other
    assert '<td class="text-nowrap">—</td>' in other  # no owner

    board = client.get("/board").get_data(as_text=True)
    card = _card(board, "DB-901", r'<article class="card board-card.*?</article>')
    assert f'data-status-url="/issues/{marked_id}/status"' in card
    assert f'href="/issues/{marked_id}"' in card
    assert 'data-testid="supervised-badge"' in card and "未签收" in card
    assert member_name.strip("<>") in card
    unowned = _card(board, "DB-902", r"<article.*?</article>")
    assert "supervised-badge" not in unowned and "未指定" in unowned


def test_a_row_drawn_before_is_taken_as_drawn_and_one_that_differs_is_drawn_anew(app):
    # Kept by the worker under the row's every value, its light, its blockers, the
    # language and the site's path.
    from collections import namedtuple
    from datetime import date

    from app.issues.list_rows import board_cards, item_rows

    fields = "id version code title owner_id acknowledged_at status major supervised deadline"
    Row = namedtuple("Row", fields + " owner_name priority category_name")
    row = Row(
        7, 1, "KH-7", "旧的标题", 3, None, "in_progress", False, False, date(2026, 12, 1),
        "张三", "high", "客户",
    )  # fmt: skip
    with app.test_request_context("/board", headers={"Accept-Language": "zh_CN"}):
        marks = Marks(_LABELS)
        (card,) = board_cards([(row, "green")], marks, {})
        assert board_cards([(row, "green")], Marks(_LABELS), {})[0] is card
        (renamed,) = board_cards([(row._replace(title="新的标题", version=2), "green")], marks, {})
        assert "新的标题" in renamed and "旧的标题" not in renamed
        (red,) = board_cards([(row, "red")], marks, {})
        assert "board-card-red" in red and "board-card-green" in card
        (blocked,) = board_cards([(row, "green")], marks, {7: ["KH-1"]})
        assert "KH-1" in blocked and "KH-1" not in card
        (listed,) = item_rows([(row, "green")], marks, bulk=True)
        assert item_rows([(row, "green")], marks, bulk=True)[0] is listed
        (plain,) = item_rows([(row, "green")], marks, bulk=False)
        assert "bulk-check" in listed.line and "bulk-check" not in plain.line
    with app.test_request_context("/board", headers={"Accept-Language": "en"}):
        (english,) = board_cards([(row, "green")], Marks(_LABELS), {})
        assert "2026年12月1日" in card and "2026年12月1日" not in english
