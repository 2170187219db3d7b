"""The decision register (决策台账): outcomes, time to decision, exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO

from openpyxl import load_workbook
from pypdf import PdfReader

from app.core import clock
from app.core.scope import task_force_scope
from app.core.sheets import formula_like
from app.decisions import service
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from tests.pdfcheck import pdf_text

from .conftest import TODAY, days


def _at(day, hour=10):
    """``hour`` o'clock in Shanghai on ``day``, as the frozen clock."""
    clock.set_today(day, hour)


def _history(world):
    """Three escalations raised on TODAY: decided after 2 and 4 days, and one pending
    (plus the world's own, raised on TODAY and pending)."""
    member = db.session.get(User, world.users["member"])
    exec_leader = db.session.get(User, world.users["exec_leader"])
    leader = db.session.get(User, world.users["leader"])
    issue = db.session.get(Issue, world.issue_id)
    _at(TODAY)
    fast = service.raise_escalation(
        member, issue, service.EscalationInput("communication", "exec_leader", "快")
    )
    slow = service.raise_escalation(
        member, issue, service.EscalationInput("decision", "leader", '=HYPERLINK("x")')
    )
    waiting = service.raise_escalation(
        member, issue, service.EscalationInput("decision", "leader", "等待中")
    )
    _at(days(2))
    service.decide(exec_leader, fast, service.DecisionInput(text="已协调"))
    _at(days(4))
    service.decide(leader, slow, service.DecisionInput(text="+同意"))
    db.session.commit()  # the boundary: pages read the history in requests of their own
    return fast, slow, waiting


def test_time_to_decision_and_overdue_figures_at_chosen_dates(ctx, world):
    with task_force_scope(world.task_force_id):
        member = db.session.get(User, world.users["member"])
        leader = db.session.get(User, world.users["leader"])
        exec_leader = db.session.get(User, world.users["exec_leader"])
        issue = db.session.get(Issue, world.issue_id)
        # Raised on Monday, so due on Thursday (day 3), with the world's own one.
        fast = service.raise_escalation(
            member, issue, service.EscalationInput("communication", "exec_leader", "快")
        )
        slow = service.raise_escalation(
            member, issue, service.EscalationInput("decision", "leader", "慢")
        )
        service.raise_escalation(
            member, issue, service.EscalationInput("decision", "leader", "等待中")
        )

        def figures():
            return service.register_figures(leader, world.task_force_id, service.RegisterFilter())

        _at(days(2))
        service.decide(exec_leader, fast, service.DecisionInput(text="已协调"))
        _at(days(3))
        now = figures()
        assert (now.total, now.decided, now.pending) == (4, 1, 3)
        assert now.median_days == 2.0
        assert now.overdue_now == 0  # due today is not overdue yet
        _at(days(4))
        service.decide(leader, slow, service.DecisionInput(text="同意"))
        _at(days(5))
        now = figures()
        assert (now.decided, now.pending) == (2, 2)
        assert now.median_days == 3.0  # the median of 2 and 4 days
        assert now.overdue_now == 2  # the two still pending, due on day 3
        assert now.decided_late == 1  # decided on day 4, due on day 3
        assert now.by_kind["communication"].median_days == 2.0
        assert now.by_kind["decision"].median_days == 4.0
        assert now.by_level["leader"].overdue_now == 1
        assert now.by_level["exec_leader"].overdue_now == 1
        # The register's filters apply to the figures too.
        only = service.register_figures(
            leader, world.task_force_id, service.RegisterFilter(kind="communication")
        )
        assert (only.total, only.median_days, only.overdue_now) == (1, 2.0, 0)


def test_register_rows_show_outcome_and_days_to_decision(ctx, world):
    with task_force_scope(world.task_force_id):
        fast, slow, waiting = _history(world)
        leader = db.session.get(User, world.users["leader"])
        _at(days(5))
        rows = {
            r.escalation.id: r
            for r in service.register_rows(leader, world.task_force_id, service.RegisterFilter())
        }
        assert rows[fast.id].days_to_decision == 2.0 and not rows[fast.id].overdue
        assert rows[slow.id].days_to_decision == 4.0 and rows[slow.id].overdue
        assert rows[waiting.id].days_to_decision is None and rows[waiting.id].overdue
        assert rows[slow.id].decider_name == leader.display_name
        pending = service.register_rows(
            leader, world.task_force_id, service.RegisterFilter(status="pending")
        )
        assert {r.escalation.id for r in pending} == {waiting.id, world.ids["escalation"]}


def test_the_excel_export_has_chinese_headers_and_no_live_formulas(app, world, login, look):
    with look(), task_force_scope(world.task_force_id):
        _history(world)
    clock.set_now(datetime(2024, 6, 8, 2, tzinfo=UTC))
    response = login("viewer").get("/decisions.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:5] == ["问题", "标题", "类型", "层级", "待决问题"]
    cells = {cell.value: cell for row in sheet.iter_rows(min_row=2) for cell in row}
    # People's text as typed, in text cells with the quote-prefix style: shown, never run.
    for text in ('=HYPERLINK("x")', "+同意"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert not any(cell.data_type == "f" for cell in cells.values())
    assert not any(cell.quotePrefix for value, cell in cells.items() if not formula_like(value))


def test_the_pdf_export_lists_the_decisions(app, world, login, look):
    with look(), task_force_scope(world.task_force_id):
        _history(world)
    response = login("leader").get("/decisions.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "决策台账" in text and "已协调" in text and "等待中" in text
    # Read across: landscape pages, and each day on one line (pdftotext keeps lines).
    page = PdfReader(BytesIO(response.data)).pages[0]
    assert page.mediabox.width > page.mediabox.height
    days = re.findall(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    assert days, text
    assert not re.search(r"\d{4}年\d{1,2}月?\s*\n", text)


def test_the_register_page_filters_by_kind(app, world, login, look):
    with look(), task_force_scope(world.task_force_id):
        _history(world)
    page = login("member").get("/decisions?kind=communication").get_data(as_text=True)
    assert "已协调" in page and "等待中" not in page
