"""The sections the other features add to the quarterly review pack, on the fixture
quarter (Q2 2024, see conftest) extended with known answers:

- KPI 理财AUM: baseline 100, target 200; readings 120 (March), 150 (May), 187.3 (July)
  -> in Q2: latest 150, progress 50%, +50.0% vs baseline
- escalations raised in Q2: one decision to the leader on KH-901, decided after 3.0 days
  ("同意在长春分行先行试点"); one communication to the executive leader on KH-903,
  due 10 May, still pending -> 2 raised, 1 decided, median 3.0 days, 1 overdue now
- pilot 网点财富转型试点 rolling out: 2 of 3 applicable units done (one not applicable)
- series 月度推进会: 3 meetings in Q2, 2 held, 1 cancelled; attendance 3 of 4 (75%);
  action items: 2, 1 done on time
- 赵静 closed KH-901 in Q2 and got a commendation on 1 June -> top of the scorecard
- intake: 2 ideas in Q2 on the world's dimension, 1 became an item (one in March too)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.quarters import Quarter
from app.core.scope import task_force_scope, unscoped
from app.decisions.models import Decision, Escalation, Incentive
from app.extensions import db
from app.intake.models import Submission
from app.kpis.models import Kpi, KpiReading
from app.meetings.models import ActionItem, Attendance, Meeting, MeetingSeries
from app.people.models import User
from app.pilots.models import Pilot, RolloutTask
from app.reports import service
from app.reports.models import DONE, ReviewPack
from tests.factories import make_org_unit
from tests.pdfcheck import needs_poppler, pdf_text
from tests.reports.conftest import Q2

pytestmark = needs_poppler


def _utc(day: date, hour: int = 2) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def features(app, world, quarter_data):
    with app.app_context(), unscoped():
        tf = world.task_force_id
        leader, member = world.users["leader"], world.users["member"]
        zhaojing = db.session.scalars(select(User).where(User.username == "zhaojing")).one()
        kpi = Kpi(task_force_id=tf, name="理财AUM", baseline=Decimal(100), target=Decimal(200))
        db.session.add(kpi)
        db.session.flush()
        for day, value in ((date(2024, 3, 31), 120), (date(2024, 5, 31), 150)):
            db.session.add(
                KpiReading(task_force_id=tf, kpi_id=kpi.id, period=day, value=Decimal(value))
            )
        db.session.add(
            KpiReading(
                task_force_id=tf, kpi_id=kpi.id, period=date(2024, 7, 31), value=Decimal("187.3")
            )
        )
        decided = Escalation(
            task_force_id=tf,
            issue_id=quarter_data["KH-901"],
            kind="decision",
            level="leader",
            question="理财签约是否扩大到全部网点？",
            due_on=date(2024, 4, 8),
            raised_by_id=zhaojing.id,
            raised_at=_utc(date(2024, 4, 1)),
            status="decided",
        )
        pending = Escalation(
            task_force_id=tf,
            issue_id=quarter_data["KH-903"],
            kind="communication",
            level="exec_leader",
            question="现金管理产品需要总行协调系统资源",
            due_on=date(2024, 5, 10),
            raised_by_id=member,
            raised_at=_utc(date(2024, 5, 6)),
        )
        db.session.add_all([decided, pending])
        db.session.flush()
        db.session.add(
            Decision(
                task_force_id=tf,
                escalation_id=decided.id,
                text="同意在长春分行先行试点",
                decided_by_id=leader,
                decided_at=_utc(date(2024, 4, 4)),
            )
        )
        pilot = Pilot(
            task_force_id=tf,
            name="网点财富转型试点",
            owner_id=member,
            starts_on=date(2024, 4, 1),
            status="rolling_out",
            decision="roll_out",
        )
        db.session.add(pilot)
        db.session.flush()
        for name, status in (
            ("一支行", "done"),
            ("二支行", "done"),
            ("三支行", "not_started"),
            ("四支行", "not_applicable"),
        ):
            unit = make_org_unit(name)
            db.session.add(
                RolloutTask(task_force_id=tf, pilot_id=pilot.id, org_unit_id=unit.id, status=status)
            )
        series = MeetingSeries(
            task_force_id=tf, name="月度推进会", starts_on=date(2024, 4, 1), chair_id=leader
        )
        db.session.add(series)
        db.session.flush()
        meetings = []
        for day, status in (
            (date(2024, 4, 10), "published"),
            (date(2024, 5, 10), "held"),
            (date(2024, 6, 10), "cancelled"),
        ):
            meeting = Meeting(
                task_force_id=tf,
                series_id=series.id,
                title=f"月度推进会 {day.month} 月",
                kind="progress",
                scheduled_on=day,
                starts_at=clock.at(day, time(9, 30)),
                chair_id=leader,
                status=status,
            )
            db.session.add(meeting)
            meetings.append(meeting)
        db.session.flush()
        for meeting, leader_status in ((meetings[0], "present"), (meetings[1], "absent")):
            db.session.add(
                Attendance(
                    task_force_id=tf, meeting_id=meeting.id, user_id=leader, status=leader_status
                )
            )
            db.session.add(
                Attendance(
                    task_force_id=tf, meeting_id=meeting.id, user_id=member, status="present"
                )
            )
        db.session.add_all(
            [
                ActionItem(
                    task_force_id=tf,
                    meeting_id=meetings[0].id,
                    title="整理客户名单",
                    deadline=date(2024, 4, 20),
                    done_on=date(2024, 4, 18),
                ),
                ActionItem(
                    task_force_id=tf,
                    meeting_id=meetings[0].id,
                    title="对接科技部",
                    deadline=date(2024, 4, 30),
                ),
            ]
        )
        db.session.add(
            Incentive(
                task_force_id=tf,
                user_id=zhaojing.id,
                polarity="positive",
                kind="commendation",
                reason="理财签约客户提前销号",
                awarded_on=date(2024, 6, 1),
                recorded_by_id=leader,
            )
        )
        for title, state, day, issue in (
            ("建议推出入门理财产品", "accepted", date(2024, 4, 15), quarter_data["KH-903"]),
            ("网点排队时间过长", "submitted", date(2024, 6, 20), None),
            ("三月份的建议", "submitted", date(2024, 3, 20), None),
        ):
            db.session.add(
                Submission(
                    task_force_id=tf,
                    submitter_id=world.users["frontline"],
                    title=title,
                    category_id=world.category_id,
                    state=state,
                    issue_id=issue,
                    created_at=_utc(day),
                )
            )
        db.session.commit()
        db.session.remove()
    return quarter_data


def _pack_text(world, quarter=Q2) -> str:
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        pack = service.generate_pack(
            leader, world.task_force_id, quarter, checkpoint=db.session.commit
        )
    assert pack.status == DONE, pack.error
    return pdf_text(pack.content)


def test_each_section_prints_its_figures_and_names(features, ctx, world):
    text = _pack_text(world)
    flat = text.replace(" ", "")
    # KPIs against target, also on the summary page
    assert "理财AUM" in text and "150" in text and "200" in text
    assert "50%" in flat and "+50.0%" in flat
    assert "理财AUM：最新值/目标值" in flat and "150/200(50%)" in flat
    assert "187.3" not in text  # July's reading is after the quarter
    # escalations and decisions
    assert "本季度提级2项，已决策1项，待决策1项（当前逾期1项）；决策用时中位数：3.0天。" in flat
    assert "同意在长春分行先行试点" in text and "KH-901" in text
    assert "现金管理产品需要总行协调系统资源" in text
    # pilots and coverage
    assert "网点财富转型试点" in text and "2/3·67%" in flat
    # meetings
    assert (
        "月度推进会" in text and "计划召开的3次会议中已召开2次；出席率75%" in flat and "75%" in flat
    )
    # scorecards, recognition and intake
    assert "赵静" in text and "本季度记录的激励：正向1项，负向0项。" in flat
    assert "共2条意见：1条立为新问题，0条并入已有问题。" in flat


def test_sections_come_in_the_packs_order(features, ctx, world):
    text = _pack_text(world)
    pages = text.split("\f")
    lines = [line.strip() for line in "\f".join(pages[2:]).splitlines()]  # past the contents
    # The sections are the pack's annexes: "附件二：各维度进展" …
    lines = [line.split("：", 1)[1] if line.startswith("附件") else line for line in lines]
    titles = ["各维度进展", "本季度销号事项", "未销号问题与落地排期", "目标指标完成情况"]
    titles += ["提级与决策", "试点与推广覆盖"]
    titles += ["会议", "考核与激励", "调研意见征集", "下季度重点"]
    positions = [lines.index(title) for title in titles]
    assert positions == sorted(positions)


def test_an_empty_quarter_keeps_every_section(features, ctx, world):
    text = _pack_text(world, Quarter(2023, 4))
    flat = text.replace(" ", "")
    assert "本季度没有提级事项。" in flat
    assert "本季度没有收到调研意见。" in flat and "本季度没有试点。" in flat
    assert "此期间没有召开会议。" in flat and "计划召开的0次会议中已召开0次" in flat


def test_the_figures_equal_the_screens(features, app, world, login):
    """The register and the meeting figures pages, filtered on the quarter, say the same."""
    client = login("leader")
    page = client.get("/decisions?raised_from=2024-04-01&raised_to=2024-06-30").text
    assert "同意在长春分行先行试点" in page and "3.0" in page
    page = client.get("/meetings/figures?from=2024-04-01&to=2024-06-30").text
    flat = page.replace(" ", "")
    assert "月度推进会" in page and ">50<" in flat and ">100<" in flat  # leader, member


def test_the_scheduler_makes_the_pack_of_the_quarter_just_ended_once(features, app, world):
    with app.app_context():
        made = [
            (p.task_force_id, p.quarter, p.status)
            for p in service.quarter_end_packs(db.session.commit, date(2024, 7, 1))
        ]
        again = service.quarter_end_packs(db.session.commit, date(2024, 7, 1))
        db.session.remove()
    assert {tf for tf, _q, _s in made} == {world.task_force_id, world.other_task_force_id}
    assert {(q, s) for _tf, q, s in made} == {("2024Q2", DONE)}
    assert again == []
    with app.app_context(), unscoped():
        packs = db.session.scalars(select(ReviewPack).where(ReviewPack.quarter == "2024Q2")).all()
        assert len(packs) == 2 and {p.requested_by_id for p in packs} == {None}


def test_review_pack_ready_tells_the_leaders_once(features, app, world):
    from app.core.models import Notification
    from app.notify import rules

    with app.app_context():
        service.quarter_end_packs(
            db.session.commit, date(2024, 7, 1)
        )  # as run on 1 July (today is later)
        first = rules.run_rule("review_pack_ready")
        second = rules.run_rule("review_pack_ready")
        with unscoped():
            told = db.session.scalars(
                select(Notification).where(Notification.kind == "review_pack_ready")
            ).all()
            recipients = {n.recipient_id for n in told if n.task_force_id == world.task_force_id}
            texts = [n.text for n in told]
            links = {n.link for n in told}
        db.session.remove()
    assert first.written == len(told) and second.written == 0
    assert recipients == {world.users["leader"], world.users["exec_leader"]}
    assert links == {"/reports/"}
    assert any("2024年第2季度" in t for t in texts)
