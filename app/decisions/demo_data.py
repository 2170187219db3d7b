"""Demo escalations, decisions, supervision, nudges and incentives for the AUM task force.

Over the year the task force moved hard questions up a level (提级沟通、提级决策、提级督导)
and decided them within days (及时会商决策). Escalations on items closed since are written
as they were (raised while the item was open, decided a few days later); the current ones
go through the services with the clock frozen on their day, as the problem list's history
does. Safe to run again: a task force that has escalations is left alone.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.decisions import scorecards, service
from app.decisions.models import Decision, Escalation
from app.extensions import db
from app.issues.models import CLOSED, OPEN_STATUSES, Issue
from app.people.models import OrgUnit, TaskForce, User

# (kind, level, question, options, recommendation, decision, rationale)
HISTORY = [
    (
        "decision",
        "leader",
        "代销理财子公司准入：是否一次引入8家理财子公司？",
        ["一次引入8家", "先引入3家试运行"],
        "一次引入8家",
        "同意一次引入8家，按季评估产品竞争力与售后服务",
        "自营理财规模受限，需尽快补齐货架",
    ),
    (
        "communication",
        "exec_leader",
        "现金管理类产品归集功能需金融科技部排期支持",
        [],
        "协调金融科技部本月排期",
        "金融科技部本月内完成开发排期，每周报进度",
        "跨部门资源需提级协调",
    ),
    (
        "decision",
        "leader",
        "机构考核口径由业务发生口径改为管户机构口径",
        ["全行同步切换", "先在两家分行试行"],
        "全行同步切换",
        "下季度起全行切换为管户机构口径",
        "口径统一才能引导存量客户深度经营",
    ),
    (
        "decision",
        "exec_leader",
        "新上岗理财经理管户分配是否纳入公共池高资产客户",
        ["纳入", "暂不纳入"],
        "纳入",
        "纳入公共池中资产较高客户及低效户",
        "帮助新人提升产能",
    ),
    (
        "supervision",
        "leader",
        "私募产品准入办法修订进度滞后，请组长督办",
        [],
        "组长督办，两周内完成",
        "组长督办，两周内提交修订稿",
        "关系到信托产品上新节奏",
    ),
    (
        "decision",
        "leader",
        "销售计价是否改为一次性前置发放",
        ["一次性前置发放", "维持按月发放"],
        "一次性前置发放",
        "同意销售计价一次性前置发放",
        "调动营销积极性",
    ),
    (
        "communication",
        "exec_leader",
        "MGM场景拓客营销指南需各分行提供场景素材",
        [],
        "由执行组长统一协调分行",
        "各分行两周内报送场景素材",
        "素材分散在各分行",
    ),
    (
        "decision",
        "exec_leader",
        "吉享人生系列理财产品风险等级定为R1还是R2",
        ["R1", "R2"],
        "R1",
        "定为R1，面向老年客户",
        "老年客户风险承受能力低",
    ),
    (
        "decision",
        "leader",
        "长春分行私行中心改革试点的薪酬方案",
        ["按产能创利分档", "固定加绩效"],
        "按产能创利分档",
        "按产能创利分档，试点一年后复盘",
        "打造财私业务发展标杆",
    ),
    (
        "communication",
        "exec_leader",
        "信托线上双录系统需合规部确认方案",
        [],
        "提级沟通合规部",
        "合规部一周内出具确认意见",
        "合规要求需提前锁定",
    ),
    (
        "decision",
        "exec_leader",
        "中收考核指标权重调整幅度",
        ["提高5个百分点", "提高10个百分点"],
        "提高10个百分点",
        "提高10个百分点，新增复杂产品中收考核项",
        "考核表单由聚焦销量转向聚焦中收",
    ),
    (
        "supervision",
        "leader",
        "业绩查询系统实时查询功能多次延期，请组长督办",
        [],
        "组长督办",
        "组长督办，月底前上线实时查询",
        "一线反映强烈",
    ),
]

CURRENT = [
    (
        "decision",
        "leader",
        "信托产品线上销售是否扩大到全部合格投资者",
        ["扩大", "维持现状"],
        "扩大",
        2,
    ),
    ("communication", "exec_leader", "财富中心建设需行政部协调场地", [], "提级协调行政部", 9),
    ("decision", "exec_leader", "营销竞赛奖励标准是否上调", ["上调20%", "维持"], "上调20%", 1),
]

INCENTIVES = [
    ("positive", "commendation", "chenlei", None, "现金管理类产品归集与支付功能按期上线", 60),
    ("positive", "bonus", "zhaojing", None, "引入8家理财子公司合作，代销理财大幅增长", 120),
    ("negative", "criticism", "huangwei", None, "MGM营销指南两次延期", 150),
    ("positive", "commendation", None, "长春分行", "私行中心改革试点成效明显", 200),
    ("positive", "promotion", "sunhao", None, "私行中心改革试点牵头推进有力", 230),
    ("negative", "deduction", None, "吉林分行", "管户积分制度落实滞后", 260),
    ("positive", "bonus", "liuyang", None, "信托规模增长50%", 300),
]


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo escalations and the rest; returns how many escalations were added."""
    with task_force_scope(task_force.id):
        if db.session.scalar(
            select(Escalation.id).where(Escalation.task_force_id == task_force.id).limit(1)
        ):
            return 0
        items = list(
            db.session.scalars(
                select(Issue).where(Issue.task_force_id == task_force.id).order_by(Issue.code)
            )
        )
        closed = [i for i in items if i.status == CLOSED and i.closed_at is not None]
        open_ = [i for i in items if i.status in OPEN_STATUSES and i.owner_id]
        added = _history(task_force, users, closed)
        added += _current(task_force, users, open_, today)
        _nudges(users, open_, today)
        _incentives(task_force, users, items, today)
    return added


def _history(task_force: TaskForce, users: dict[str, User], closed: list[Issue]) -> int:
    rng = random.Random(6)
    chosen = closed[:: max(len(closed) // len(HISTORY), 1)][: len(HISTORY)]
    for issue, spec in zip(chosen, HISTORY, strict=False):
        kind, level, question, options, recommendation, text, rationale = spec
        span = (issue.closed_at - issue.created_at).days
        raised_at = issue.created_at + timedelta(days=max(span // 3, 1), hours=1)
        decided_at = raised_at + timedelta(days=rng.choice((1, 2, 2, 3, 4, 6)), hours=3)
        raiser = issue.owner_id
        decider = users["leader"] if level == "leader" else users["exec"]
        escalation = Escalation(
            task_force_id=task_force.id,
            issue_id=issue.id,
            kind=kind,
            level=level,
            question=question,
            options=options,
            recommendation=recommendation,
            due_on=service.add_working_days(clock.local_date(raised_at), 3),
            status="decided",
            raised_by_id=raiser,
            raised_at=raised_at,
            created_at=raised_at,
            updated_at=decided_at,
        )
        db.session.add(escalation)
        db.session.flush()
        db.session.add(
            Decision(
                task_force_id=task_force.id,
                escalation_id=escalation.id,
                text=text,
                chosen_option=recommendation if recommendation in options else "",
                rationale=rationale,
                decided_by_id=decider.id,
                decided_at=decided_at,
            )
        )
    db.session.commit()
    return len(chosen)


def _frozen(day: date, hour: int = 2):
    return clock.frozen_at(datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC))


def _current(task_force: TaskForce, users: dict[str, User], open_: list[Issue], today: date):
    if not open_:
        return 0
    added = 0
    for n, (kind, level, question, options, recommendation, ago) in enumerate(CURRENT):
        issue = open_[n % len(open_)]
        raiser = db.session.get(User, issue.owner_id)
        with _frozen(today - timedelta(days=ago)):
            service.raise_escalation(
                raiser,
                issue,
                service.EscalationInput(kind, level, question, options, recommendation),
            )
        added += 1
    # Two supervision escalations put items under the leader's supervision (组长督办);
    # the first one is decided at once, the item stays supervised until the leader lifts it.
    for n, issue in enumerate(open_[3:5]):
        raiser = db.session.get(User, issue.owner_id)
        with _frozen(today - timedelta(days=6 - n)):
            escalation = service.raise_escalation(
                raiser,
                issue,
                service.EscalationInput(
                    "supervision",
                    "leader",
                    f"{issue.title}：推进受阻，请组长督办",
                    [],
                    "组长督办，明确各部门配合时限",
                ),
            )
        added += 1
        if n == 0:
            with _frozen(today - timedelta(days=4), hour=6):
                service.decide(
                    users["leader"],
                    escalation,
                    service.DecisionInput(
                        text="组长督办：相关部门两周内完成配合事项，每周报进度",
                        rationale="影响非存AUM千亿目标的关键路径",
                    ),
                )
    return added


def _nudges(users: dict[str, User], open_: list[Issue], today: date) -> None:
    """Reminders over the last fortnight; the late items got more than one."""
    for n, issue in enumerate(open_[:6]):
        for k in range(1 + n % 3):
            with _frozen(today - timedelta(days=12 - 3 * k - n), hour=3):
                actor = users["exec"] if (n + k) % 2 else users["leader"]
                note = "请本周内更新进展" if k == 0 else "再次催办，请尽快反馈"
                service.nudge(actor, issue, note)


def _incentives(task_force: TaskForce, users: dict[str, User], items, today: date) -> None:
    units = {u.name: u.id for u in db.session.scalars(select(OrgUnit))}
    start = task_force.starts_on
    for n, (polarity, kind, username, unit, reason, offset) in enumerate(INCENTIVES):
        day = min(start + timedelta(days=offset), today)
        actor = users["leader"] if n % 2 == 0 else users["exec"]
        with _frozen(day, hour=7):
            scorecards.record_incentive(
                actor,
                task_force.id,
                scorecards.IncentiveInput(
                    polarity=polarity,
                    kind=kind,
                    reason=reason,
                    awarded_on=day,
                    user_id=users[username].id if username else None,
                    org_unit_id=units.get(unit) if unit else None,
                    issue_id=items[(n * 7) % len(items)].id if items else None,
                ),
            )
