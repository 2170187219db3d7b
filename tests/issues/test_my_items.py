""" "My items" across task forces, and the deciders' queue likewise.

张慧 is executive leader of the wealth task force and leader of the deposits one, as in
the demo; 刘洋 is a member of both. What awaits them is shown whichever task force they
are in, each row naming its task force and linking into it; a filter narrows to one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import IN_PROGRESS, VERIFYING, Issue, Subtask
from app.people.models import OrgUnit, User
from app.pilots.models import ROLLING_OUT, Pilot, RolloutTask
from tests import factories
from tests.issues.conftest import days
from tests.meetings.helpers import make_action, make_meeting, make_series

WEALTH = "非存AUM攻坚克难小组"
DEPOSITS = "对公存款攻坚小组"


def _escalation(issue: Issue, level: str, question: str, raised_by: int) -> Escalation:
    escalation = Escalation(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        kind="decision",
        level=level,
        question=question,
        options=["甲", "乙"],
        due_on=clock.today() + timedelta(days=3),
        raised_by_id=raised_by,
        raised_at=clock.now(),
    )
    db.session.add(escalation)
    db.session.commit()
    return escalation


@pytest.fixture
def two(app):
    with app.app_context(), unscoped():
        wealth = factories.make_task_force(WEALTH)
        deposits = factories.make_task_force(DEPOSITS)
        zhang = factories.make_user("zhanghui", display_name="张慧")
        liu = factories.make_user("liuyang", display_name="刘洋")
        sun = factories.make_user("sunhao", display_name="孙浩")
        factories.make_membership(zhang, wealth, EXEC_LEADER)
        factories.make_membership(zhang, deposits, LEADER)
        factories.make_membership(liu, wealth, MEMBER)
        factories.make_membership(liu, deposits, MEMBER)
        factories.make_membership(sun, wealth, LEADER)
        kh = factories.make_category(wealth.id, "客户端", prefix="KH")
        kt = factories.make_category(deposits.id, "客户拓展", prefix="KT")
        item = factories.make_issue
        w_mine = item(kh, "代销保险上架慢", code="KH-001", owner_id=liu.id, deadline=days(10))
        w_check = item(kh, "理财经理考核口径", code="KH-002", owner_id=liu.id, status=VERIFYING)
        d_mine = item(
            kt,
            "结算户流失",
            code="KT-001",
            owner_id=liu.id,
            status=IN_PROGRESS,
            assigned_at=clock.now(),
            assigned_by_id=zhang.id,
            acknowledged_at=None,
        )
        d_check = item(kt, "代发工资户拓展", code="KT-002", owner_id=sun.id, status=VERIFYING)
        db.session.add(
            Subtask(
                task_force_id=deposits.id,
                issue_id=d_check.id,
                title="核对代发名单",
                owner_id=liu.id,
            )
        )
        db.session.commit()
        asks = SimpleNamespace(
            wealth_exec=_escalation(w_mine, "exec_leader", "保险上架是否走绿色通道", liu.id).id,
            wealth_leader=_escalation(w_mine, "leader", "是否调整考核权重", liu.id).id,
            deposits_leader=_escalation(d_mine, "leader", "是否给结算户减免费用", liu.id).id,
        )
        series = make_series(
            SimpleNamespace(task_force_id=deposits.id, users={"leader": zhang.id}),
            name="对公存款月度推进会",
        )
        meeting = make_meeting(series, days(-7), status="held")
        make_action(meeting, "梳理流失客户名单", owner_id=liu.id, deadline=days(5))
        pilot = Pilot(
            task_force_id=deposits.id,
            name="结算户回流试点",
            owner_id=zhang.id,
            status=ROLLING_OUT,
            decision="roll_out",
            starts_on=days(-60),
        )
        unit = OrgUnit(name="吉林分行", kind="branch")
        db.session.add_all([pilot, unit])
        db.session.flush()
        db.session.add(
            RolloutTask(
                task_force_id=deposits.id,
                pilot_id=pilot.id,
                org_unit_id=unit.id,
                status="not_started",
                owner_id=liu.id,
                planned_on=days(20),
            )
        )
        db.session.commit()
        return SimpleNamespace(
            wealth=wealth.id,
            deposits=deposits.id,
            w_mine=w_mine.id,
            w_check=w_check.id,
            d_mine=d_mine.id,
            d_check=d_check.id,
            asks=asks,
            meeting=meeting.id,
            pilot=pilot.id,
        )


@pytest.fixture
def login(app):
    def login_as(username: str, task_force_id: int | None = None):
        client = app.test_client()
        client.post("/login", data={"login": username, "password": factories.PASSWORD})
        if task_force_id is not None:
            client.post(f"/switch/{task_force_id}", follow_redirects=True)
        return client

    return login_as


def section(html: str, testid: str, end: str = "</ul>") -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def codes(part: str) -> list[str]:
    return re.findall(r"\b(K[HT]-\d{3})\b", part)


def badges(part: str) -> list[str]:
    return re.findall(r'data-testid="task-force-badge">([^<]*)<', part)


# --- my items ---------------------------------------------------------------------------------


def test_my_items_span_every_task_force_and_name_each_row_s(login, two):
    html = login("liuyang", two.wealth).get("/my").get_data(as_text=True)

    owned = section(html, "my-owned", "</table>")
    assert sorted(codes(owned)) == ["KH-001", "KH-002", "KT-001"]
    assert sorted(badges(owned)) == sorted([WEALTH, WEALTH, DEPOSITS])
    # The other task force's rows and buttons lead into it.
    assert f'href="/issues/{two.d_mine}?tf={two.deposits}"' in owned
    to_acknowledge = section(html, "to-acknowledge")
    assert codes(to_acknowledge) == ["KT-001"]
    assert f'action="/issues/{two.d_mine}/acknowledge?tf={two.deposits}"' in to_acknowledge
    assert f"/issues/{two.d_check}?tf={two.deposits}#subtasks" in html
    actions = section(html, "my-meeting-actions")
    assert "梳理流失客户名单" in actions and f"tf={two.deposits}#actions" in actions
    rollout = section(html, "my-rollout")
    assert "结算户回流试点" in rollout and f"/pilots/{two.pilot}?tf={two.deposits}" in rollout
    # A member of both decides nothing; what they raised is listed, in both task forces.
    raised = section(html, "my-escalations")
    assert len(re.findall(r'href="/escalations/\d+\?tf=', raised)) == 3
    assert "#decide" not in raised


def test_the_filter_narrows_my_items_to_one_task_force(login, two):
    client = login("liuyang", two.wealth)
    html = client.get(f"/my?task_force={two.deposits}").get_data(as_text=True)

    assert codes(section(html, "my-owned", "</table>")) == ["KT-001"]
    assert badges(html) == []  # one task force: nothing to tell apart
    pills = section(html, "task-force-filter")
    assert re.search(rf'active" href="/my\?task_force={two.deposits}"', pills)
    assert "全部攻坚小组" in pills
    # Another person's task force, or garbage, is no filter: everything of one's own shows.
    for wanted in ("999", "abc"):
        page = client.get(f"/my?task_force={wanted}").get_data(as_text=True)
        assert sorted(codes(section(page, "my-owned", "</table>"))) == [
            "KH-001",
            "KH-002",
            "KT-001",
        ]


def test_a_row_of_the_other_task_force_opens_there(login, look, two):
    client = login("liuyang", two.wealth)
    html = client.get("/my").get_data(as_text=True)
    link = re.search(rf'href="(/issues/{two.d_mine}\?tf=\d+)"', html).group(1)

    page = client.get(link, follow_redirects=True)

    assert page.status_code == 200 and "结算户流失" in page.get_data(as_text=True)
    with look():
        liu = db.session.scalar(select(User).where(User.username == "liuyang"))
        assert liu.current_task_force_id == two.deposits


def test_what_awaits_a_leader_s_verification_spans_the_task_forces_they_run(login, two):
    html = login("zhanghui", two.deposits).get("/my").get_data(as_text=True)
    to_verify = section(html, "to-verify")
    assert sorted(codes(to_verify)) == ["KH-002", "KT-002"]
    assert sorted(badges(to_verify)) == sorted([WEALTH, DEPOSITS])
    # 刘洋 runs neither.
    assert 'data-testid="to-verify"' not in login("liuyang").get("/my").get_data(as_text=True)


def test_what_awaits_a_decision_spans_task_forces_by_the_role_held_in_each(login, two):
    html = login("zhanghui", two.wealth).get("/my").get_data(as_text=True)
    waiting = section(html, "my-escalations")
    # Executive leader of wealth: its executive-level question, not its leader-level one;
    # leader of deposits: its leader-level question.
    assert "保险上架是否走绿色通道" in waiting and "是否给结算户减免费用" in waiting
    assert "是否调整考核权重" not in waiting
    assert f"/escalations/{two.asks.deposits_leader}?tf={two.deposits}#decide" in waiting


def test_someone_on_one_task_force_sees_no_filter_and_no_names(login, two):
    html = login("sunhao").get("/my").get_data(as_text=True)
    assert 'data-testid="task-force-filter"' not in html
    assert badges(html) == []
    assert "?tf=" not in section(html, "to-verify")


def test_a_change_in_the_other_task_force_shows_at_once(app, login, two):
    client = login("liuyang", two.wealth)
    assert "结算户流失" in client.get("/my").get_data(as_text=True)
    with app.app_context(), unscoped():
        db.session.get(Issue, two.d_mine).title = "结算户流失（已复盘）"
        db.session.commit()
    assert "结算户流失（已复盘）" in client.get("/my").get_data(as_text=True)


def _grow(app, two, n: int) -> None:
    with app.app_context(), unscoped():
        liu = db.session.scalar(select(User).where(User.username == "liuyang"))
        for task_force_id in (two.wealth, two.deposits):
            category = factories.make_category(task_force_id, f"维度{n}")
            for i in range(n):
                factories.make_issue(
                    category,
                    f"批量{i}",
                    owner_id=liu.id,
                    status=(IN_PROGRESS, VERIFYING)[i % 2],
                    deadline=days(i - 3),
                )


def test_my_items_across_task_forces_cost_as_many_queries_for_many_rows_as_for_few(app, login, two):
    def count(username: str) -> int:
        response = login(username, two.wealth).get("/my")
        assert response.status_code == 200
        return int(response.headers["X-Query-Count"])

    before = {name: count(name) for name in ("liuyang", "zhanghui")}
    _grow(app, two, 8)
    after = {name: count(name) for name in ("liuyang", "zhanghui")}
    assert after == before


# --- the deciders' queue -----------------------------------------------------------------------


def test_the_deciders_queue_spans_the_task_forces_where_one_decides(login, two):
    client = login("zhanghui", two.wealth)
    html = client.get("/escalations?mine=1").get_data(as_text=True)
    queue = section(html, "escalation-queue", "</table>")
    assert "保险上架是否走绿色通道" in queue and "是否给结算户减免费用" in queue
    assert "是否调整考核权重" not in queue
    assert sorted(badges(queue)) == sorted([WEALTH, DEPOSITS])
    assert f'href="/escalations/{two.asks.deposits_leader}?tf={two.deposits}#decide"' in queue

    narrowed = client.get(f"/escalations?mine=1&task_force={two.deposits}")
    queue = section(narrowed.get_data(as_text=True), "escalation-queue", "</table>")
    assert "是否给结算户减免费用" in queue and "保险上架是否走绿色通道" not in queue

    decide = client.get(f"/escalations/{two.asks.deposits_leader}?tf={two.deposits}")
    assert decide.status_code == 302
    assert client.get(decide.headers["Location"]).status_code == 200


def test_the_deciders_queue_of_someone_who_decides_nowhere_is_empty(login, two):
    html = login("liuyang", two.wealth).get("/escalations?mine=1").get_data(as_text=True)
    assert 'data-testid="mine-to-decide"' not in html
    assert "保险上架是否走绿色通道" not in section(html, "escalation-queue", "</table>")


def test_a_long_verification_queue_shows_the_longest_waiting_and_links_to_the_rest(
    app, world, login
):
    """A leader of a big task force verifies hundreds: "my items" shows the first
    VERIFY_SHOWN, longest waiting first, and links to the list of all of them."""
    from app.issues.models import Category
    from app.issues.service.queries import VERIFY_SHOWN

    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        for i in range(VERIFY_SHOWN + 3):
            issue = factories.make_issue(category, f"待验收{i:02d}", code=f"VQ-{i:03d}")
            issue.status = VERIFYING
            issue.updated_at = clock.now() - timedelta(days=100 - i)
        db.session.commit()

    html = login("leader").get("/my").get_data(as_text=True)

    queue = section(html, "to-verify")
    shown = re.findall(r"\b(VQ-\d{3})\b", queue)
    waiting_before = len(codes(queue))  # the world's own item awaiting verification, if any
    assert shown == [f"VQ-{i:03d}" for i in range(VERIFY_SHOWN - waiting_before)]
    assert 'data-testid="to-verify-all"' in html
    assert "/issues?status=verifying" in html


def test_a_long_verification_queue_over_two_task_forces_links_to_each_ones_list(app, two, login):
    """张慧 verifies in both task forces: the rest is reached through each task force's own
    list, each link naming its task force, never one list standing for both."""
    from app.issues.models import Category
    from app.issues.service.queries import VERIFY_SHOWN

    with app.app_context(), unscoped():
        kh = db.session.scalar(select(Category).where(Category.code_prefix == "KH"))
        for i in range(VERIFY_SHOWN + 3):
            issue = factories.make_issue(kh, f"待验收{i:02d}", code=f"VQ-{i:03d}")
            issue.status = VERIFYING
        db.session.commit()

    html = login("zhanghui").get("/my").get_data(as_text=True)

    links = section(html, "to-verify-all")
    assert f"/issues?status=verifying&amp;tf={two.wealth}" in links
    assert f"/issues?status=verifying&amp;tf={two.deposits}" in links
    assert "全部 24 项待验收" in links and "全部 1 项待验收" in links  # KH-002 too; KT-002
    assert WEALTH in links and DEPOSITS in links


def test_a_long_escalation_queue_shows_the_longest_waiting_and_links_to_the_rest(app, world, login):
    """A decider of a big task force has hundreds pending: "my items" shows the first
    MY_ESCALATIONS_SHOWN, longest waiting first, counts them all and links to the queue."""
    from datetime import UTC, date, datetime

    from app.decisions.views import MY_ESCALATIONS_SHOWN

    extra = MY_ESCALATIONS_SHOWN + 3
    with app.app_context(), unscoped():
        for i in range(extra):
            db.session.add(
                Escalation(
                    task_force_id=world.task_force_id,
                    issue_id=world.issue_id,
                    kind="decision",
                    level="leader",
                    question=f"久候{i:02d}号",
                    options=["甲", "乙"],
                    due_on=date(2024, 7, 1),
                    raised_by_id=world.users["member"],
                    raised_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=i),
                    status="pending",
                )
            )
        db.session.commit()
        pending = db.session.scalar(
            select(func.count(Escalation.id)).where(Escalation.status == "pending")
        )

    html = login("leader").get("/my").get_data(as_text=True)

    waiting = section(html, "my-escalations")
    shown = re.findall(r"久候(\d\d)号", waiting)
    assert shown == [f"{i:02d}" for i in range(MY_ESCALATIONS_SHOWN)]
    header = section(html, "my-section-escalations", "</h2>")
    assert f'text-bg-light">{pending}<' in header
    assert '<a class="small" href="/escalations" data-testid="my-escalations-all">' in html
