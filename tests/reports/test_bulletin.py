"""The monthly supervision bulletin: each section of July 2024 (today is 15 August 2024),
its boundaries at local midnight (Asia/Shanghai), the PDF read back, the pages per role."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from app.core import audit, clock, hooks
from app.core.quarters import Month
from app.core.scope import task_force_scope, unscoped
from app.decisions.bulletin import rank_units
from app.decisions.extensions import APPROVED, DeadlineExtension
from app.decisions.instructions import Instruction
from app.decisions.models import Nudge
from app.decisions.scorecards import ScoreLine
from app.extensions import db
from app.issues.models import CLOSED, Category, ProgressUpdate
from app.reports import bulletin as service
from app.reports.bulletin_models import Bulletin
from tests.factories import make_issue, make_user
from tests.reports.test_layout import misaligned

JULY = Month(2024, 7)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Local midnight of 1 August is 31 July 16:00 UTC.
LATE_JULY = utc(2024, 7, 31, 15, 30)  # 23:30 on 31 July in Shanghai
EARLY_AUGUST = utc(2024, 7, 31, 16, 10)  # 00:10 on 1 August in Shanghai


def _close(actor, issue, instant):
    with clock.frozen_at(instant):
        audit.record(actor, "status_changed", issue, {"status": [issue.status, CLOSED]})
        issue.status, issue.closed_at = CLOSED, clock.now()
        db.session.commit()


@pytest.fixture
def july(app, world):
    """Items, extensions, instructions and nudges in and around July 2024."""
    with app.app_context(), unscoped():
        ids = _build_july(world)
        db.session.remove()
    return ids


def _build_july(world) -> dict:
    from app.people.models import User

    leader = db.session.get(User, world.users["leader"])
    owner = make_user("zhaojing_b", display_name="赵静")
    member = world.users["member"]
    tf = world.task_force_id
    with task_force_scope(tf):
        cat = db.session.get(Category, world.category_id)
        unit = world.org_unit_id
        with clock.frozen_at(utc(2024, 6, 1, 2)):
            closed_in = make_issue(
                cat,
                "理财签约客户",
                code="BT-1",
                owner_id=owner.id,
                org_unit_id=unit,
                deadline=date(2024, 7, 31),
            )
            closed_late = make_issue(
                cat, "营销竞赛常态化", code="BT-2", owner_id=member, deadline=date(2024, 7, 10)
            )
            closed_aug = make_issue(
                cat, "现金管理产品", code="BT-3", owner_id=member, deadline=date(2024, 8, 30)
            )
            overdue = make_issue(
                cat,
                "客户标签治理",
                code="BT-4",
                owner_id=owner.id,
                org_unit_id=unit,
                deadline=date(2024, 7, 25),
                status="in_progress",
            )
            due_last_day = make_issue(
                cat,
                "渠道协同",
                code="BT-5",
                owner_id=member,
                deadline=date(2024, 7, 31),
                status="in_progress",
            )
        _close(leader, closed_in, LATE_JULY)
        _close(leader, closed_late, utc(2024, 7, 15, 2))
        _close(leader, closed_aug, EARLY_AUGUST)
        for n, (old, new, decided) in enumerate(
            [
                (date(2024, 6, 30), date(2024, 7, 15), utc(2024, 6, 20, 2)),
                (date(2024, 7, 15), date(2024, 7, 25), LATE_JULY),
                (date(2024, 7, 25), date(2024, 8, 30), EARLY_AUGUST),  # after July
            ]
        ):
            db.session.add(
                DeadlineExtension(
                    task_force_id=tf,
                    issue_id=overdue.id,
                    current_deadline=old,
                    requested_deadline=new,
                    reason=f"第{n}次",
                    status=APPROVED,
                    requested_by_id=owner.id,
                    requested_at=decided,
                    decided_at=decided,
                    decided_by_id=leader.id,
                )
            )
        db.session.add_all(
            [
                Instruction(
                    task_force_id=tf,
                    issue_id=overdue.id,
                    text="抓紧推进",
                    written_by_id=leader.id,
                    written_at=utc(2024, 7, 1, 2),
                ),  # unanswered
                Instruction(
                    task_force_id=tf,
                    issue_id=due_last_day.id,
                    text="月底前回复",
                    written_by_id=leader.id,
                    written_at=utc(2024, 7, 5, 2),
                    answered_at=EARLY_AUGUST,
                ),  # answered after July
                Instruction(
                    task_force_id=tf,
                    issue_id=closed_late.id,
                    text="已落实",
                    written_by_id=leader.id,
                    written_at=utc(2024, 7, 2, 2),
                    answered_at=LATE_JULY,
                ),  # answered in July
                Instruction(
                    task_force_id=tf,
                    issue_id=closed_in.id,
                    text="八月批示",
                    written_by_id=leader.id,
                    written_at=EARLY_AUGUST,
                ),  # written after July
                Nudge(
                    task_force_id=tf,
                    issue_id=overdue.id,
                    recipient_id=owner.id,
                    sent_by_id=leader.id,
                    sent_at=utc(2024, 7, 10, 2),
                ),
                Nudge(
                    task_force_id=tf,
                    issue_id=due_last_day.id,
                    recipient_id=member,
                    sent_by_id=leader.id,
                    sent_at=LATE_JULY,
                ),
                Nudge(
                    task_force_id=tf,
                    issue_id=closed_in.id,
                    recipient_id=owner.id,
                    sent_by_id=leader.id,
                    sent_at=EARLY_AUGUST,
                ),  # August's
                ProgressUpdate(
                    task_force_id=tf,
                    issue_id=overdue.id,
                    author_id=owner.id,
                    note="已推进",
                    created_at=utc(2024, 7, 13, 2),
                ),
            ]
        )
        db.session.commit()
    return {"owner": owner.id}


def _build(key: str, month: Month = JULY) -> dict:
    [section] = [s for s in hooks.BULLETIN_SECTIONS.ordered() if s.key == key]
    return section.build(_tf, month)


_tf = None


@pytest.fixture
def tf(world):
    global _tf
    _tf = world.task_force_id
    return world.task_force_id


def test_closed_items_are_those_closed_before_local_midnight_ending_the_month(ctx, july, tf):
    with task_force_scope(tf):
        lines = {line.code: line for line in _build("closed")["lines"]}
    assert "BT-3" not in lines  # closed at 00:10 on 1 August, Shanghai time
    assert lines["BT-1"].closed_on == date(2024, 7, 31) and lines["BT-1"].late_days == 0
    assert lines["BT-1"].owner == "赵静" and lines["BT-1"].org_unit == "长春分行"
    assert lines["BT-2"].late_days == 5


def test_overdue_items_at_the_month_s_end_furthest_behind_first(ctx, july, tf):
    with task_force_scope(tf):
        context = _build("overdue")
    codes = [line.code for line in context["lines"]]
    assert "BT-4" in codes and "BT-5" not in codes and "BT-2" not in codes
    line = next(line for line in context["lines"] if line.code == "BT-4")
    assert line.late_days == 6 and line.owner == "赵静"
    assert [x.late_days for x in context["lines"]] == sorted(
        (x.late_days for x in context["lines"]), reverse=True
    )


def test_items_delayed_more_than_once_show_each_extension_by_the_month_s_end(ctx, july, tf):
    with task_force_scope(tf):
        items = _build("delayed")["items"]
        assert [(i.issue.code, i.extensions) for i in items] == [
            (
                "BT-4",
                [(date(2024, 6, 30), date(2024, 7, 15)), (date(2024, 7, 15), date(2024, 7, 25))],
            )
        ]
        assert _build("delayed", Month(2024, 6))["items"] == []  # one extension by June's end


def test_unanswered_instructions_are_those_unanswered_at_the_month_s_end(ctx, july, tf):
    with task_force_scope(tf):
        lines = _build("instructions")["lines"]
    assert [(x.code, x.days_waiting, x.owner) for x in lines] == [
        ("BT-4", 30, "赵静"),
        ("BT-5", 26, "member"),
    ] or [(x.code, x.days_waiting) for x in lines] == [("BT-4", 30), ("BT-5", 26)]


def test_nudges_of_the_month_with_the_first_update_after_each(ctx, july, tf):
    with task_force_scope(tf):
        context = _build("nudges")
    assert [(x.code, x.recipient, x.response_days) for x in context["lines"]][0] == (
        "BT-4",
        "赵静",
        3,
    )
    assert [(x.code, x.response_days) for x in context["lines"]] == [("BT-4", 3), ("BT-5", None)]
    assert context["responded"] == 1


def test_the_ranking_shares_ranks_on_ties_and_lists_units_without_closures_last():
    def line(name, closed, on_time):
        return ScoreLine(None, name, closed=closed, closed_on_time=on_time)

    ranked = rank_units([line("丙", 0, 0), line("甲", 2, 2), line("乙", 4, 4), line("丁", 4, 2)])
    assert [(u.rank, u.name) for u in ranked] == [(1, "乙"), (2, "甲"), (3, "丁"), (None, "丙")]
    tied = rank_units([line("A", 2, 2), line("B", 2, 2), line("C", 1, 0)])
    assert [u.rank for u in tied] == [1, 1, 3]


def test_the_ranking_counts_the_month_s_closures_per_org_unit(ctx, july, tf):
    with task_force_scope(tf):
        units = _build("ranking")["units"]
    unit = next(u for u in units if u.name == "长春分行")
    assert (unit.rank, unit.closed, unit.on_time) == (1, 1, 1)


def test_an_empty_month_builds_every_section(ctx, world, tf):
    with task_force_scope(tf):
        for section in hooks.BULLETIN_SECTIONS.ordered():
            assert isinstance(section.build(tf, Month(2023, 1)), dict)


def _statements(fn) -> int:
    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_sections_cost_the_same_queries_however_many_rows(app, world, tf):
    def build_all():
        with task_force_scope(tf):
            for section in hooks.BULLETIN_SECTIONS.ordered():
                section.build(tf, JULY)
        db.session.expunge_all()

    with app.app_context():
        build_all()  # warm: lazy setup queries are not the sections'
        empty = _statements(build_all)
    with app.app_context(), unscoped():
        _build_july(world)
        db.session.remove()
    with app.app_context():
        full = _statements(build_all)
    assert full == empty


def test_the_pdf_reads_back_with_its_heading_sections_and_owners(ctx, july, tf):
    with task_force_scope(tf), _request():
        content, pages, html = service.bulletin_document(tf, JULY, 3, "李明远")
    assert content.startswith(b"%PDF") and pages >= 1 and "BT-4" in html
    assert html.count("<table") >= 6 and misaligned(html) == []  # heads over their numbers
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    # The issue counts the task force's months (it began in June); the third version says so.
    assert "督办通报" in text and "2024年7月" in text and "第2期 · v3" in text
    for words in (
        "本月办结事项",
        "逾期事项",
        "多次延期事项",
        "未回复的批示",
        "催办及回应",
        "各单位按期办结排名",
        "赵静",
        "理财签约客户",
    ):
        assert words in text, words


def _request():
    from flask import current_app

    return current_app.test_request_context()


def test_a_viewer_downloads_a_member_cannot_generate_and_another_task_force_s_is_hidden(
    app, world, login, look
):
    viewer = login("viewer")
    page = viewer.get("/reports/")
    assert page.status_code == 200 and "督办通报" in page.get_data(as_text=True)
    assert 'data-testid="bulletin-form"' not in page.get_data(as_text=True)
    bulletin_id = world.ids["bulletin"]
    response = viewer.get(f"/reports/bulletins/{bulletin_id}/download")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert viewer.get(f"/reports/bulletins/{bulletin_id}/download.docx").status_code == 200
    assert (
        login("member").post("/reports/bulletins", data={"bulletin-month": "2024-07"}).status_code
        == 403
    )
    with look():
        other = Bulletin(
            task_force_id=world.other_task_force_id,
            month="2024-07",
            number=1,
            status="done",
            content=b"%PDF-1.4 other",
            sha256="0" * 64,
            size=14,
            pages=1,
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert viewer.get(f"/reports/bulletins/{other_id}/download").status_code == 404
    assert viewer.get(f"/reports/bulletins/{other_id}/status").status_code == 404


def test_a_leader_queues_one_bulletin_however_many_clicks_and_reads_it_in_english(
    app, world, login, look
):
    client = login("leader")
    responses = [
        client.post("/reports/bulletins", data={"bulletin-month": "2024-07"}) for _ in range(3)
    ]
    assert {r.status_code for r in responses} == {302}
    with look():
        queued = (
            db.session.query(Bulletin)
            .filter(Bulletin.month == "2024-07", Bulletin.status == "queued")
            .all()
        )
        assert len(queued) == 1 and queued[0].number == 2
    assert client.post("/reports/bulletins", data={"bulletin-month": "2024-09"}).status_code == 302
    with look():
        assert db.session.query(Bulletin).filter(Bulletin.month == "2024-09").count() == 0
