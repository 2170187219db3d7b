"""Demo pilots from the source case, replayed through the services with the clock frozen.

The Changchun branch private-banking centre reform (长春分行私人银行中心改革) ran for some
five months, was reviewed, decided for rollout, and is being copied to four other
branches: two done, one under way and late, one planned. A second pilot, the remittance
customers' wealth product at the Yanji sub-branch, is under review now. Dates are placed
relative to today, in step with the problem list's own story of the reform.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues.models import Issue
from app.people.models import OrgUnit, TaskForce, User
from app.pilots import service
from app.pilots.models import DONE, IN_PROGRESS, REVIEWING, ROLLING_OUT, RUNNING, Pilot

CHANGCHUN = "长春分行私人银行中心改革"
YANJI = "延吉支行汇款客户专属理财试点"


def _at(day: date, hour: int = 2) -> datetime:
    """Working hours: 02:00 UTC is 10:00 in Shanghai."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _issues(task_force: TaskForce, titles: list[str]) -> list[int]:
    return list(
        db.session.scalars(
            select(Issue.id).where(Issue.task_force_id == task_force.id, Issue.title.in_(titles))
        )
    )


def build(
    task_force: TaskForce, users: dict[str, User], units: dict[str, OrgUnit], today: date
) -> int:
    """Write the demo pilots not there yet; returns how many were added."""
    added = 0
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(select(Pilot.name).where(Pilot.task_force_id == task_force.id))
        )
        if CHANGCHUN not in have:
            _changchun(task_force, users, units, today)
            added += 1
        if YANJI not in have:
            _yanji(task_force, users, units, today)
            added += 1
    return added


def _changchun(task_force, users, units, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    sunhao, leader, exec_ = users["sunhao"], users["leader"], users["exec"]
    with clock.frozen_at(_at(day(-245))):
        pilot = service.create_pilot(
            leader,
            task_force.id,
            service.PilotInput(
                name=CHANGCHUN,
                measure=(
                    "从**职能变更、组织架构优化、队伍建设、考核机制、薪酬提升**五方面全方位改革"
                    "长春分行私人银行中心：由产品销售支持转为独立的客户经营，配齐私行顾问和投资顾问，"
                    "考核与薪酬向财私业务倾斜，打造财私业务发展标杆。"
                ),
                owner_id=sunhao.id,
                starts_on=day(-240),
                planned_end=day(-80),
                issue_ids=_issues(
                    task_force,
                    [
                        "长春分行私行中心职能定位不清、机制不活",
                        "财富中心、私行中心布局不足，缺少专属服务场所",
                    ],
                ),
                unit_ids=[units["长春分行私人银行中心"].id],
            ),
        )
    objectives = []
    with clock.frozen_at(_at(day(-244))):
        for title, metric, baseline, target in (
            ("私行中心管户AUM", "亿元", "118", "140"),
            ("私行客户数", "户", "1650", "1900"),
            ("专职私行顾问和投资顾问", "人", "3", "8"),
        ):
            objectives.append(
                service.add_objective(
                    sunhao, pilot, title, metric, Decimal(baseline), Decimal(target)
                )
            )
    with clock.frozen_at(_at(day(-240))):
        service.change_status(sunhao, pilot, RUNNING)
    with clock.frozen_at(_at(day(-79))):
        for objective, actual in zip(objectives, ("146", "1985", "9"), strict=True):
            service.record_result(sunhao, objective, Decimal(actual))
    with clock.frozen_at(_at(day(-78))):
        service.change_status(sunhao, pilot, REVIEWING)
    with clock.frozen_at(_at(day(-75), 6)):
        service.record_review(
            sunhao,
            pilot,
            what_worked=(
                "- 中心转为独立经营后，私行顾问按客户分层管户，管户AUM五个月增长约24%\n"
                "- 考核与薪酬向财私业务倾斜，投顾和理财经理联动营销明显增多"
            ),
            what_did_not=(
                "- 系统仍按网点口径统计业绩，中心与支行的业绩分成需要手工核对\n"
                "- 专属服务场所改造进度慢于计划"
            ),
            lessons=(
                "先定职能、再调架构、后配队伍和机制；推广时各分行按客户基础确定中心规模，"
                "业绩分成规则由总行统一制定。"
            ),
        )
    with clock.frozen_at(_at(day(-70), 7)):
        service.decide(
            leader,
            pilot,
            "roll_out",
            "试点目标全部达成，改革做法可复制；在季度汇报会上决定向吉林、延边、四平、通化分行复制推广，"
            "业绩分成规则由私人银行部统一制定。",
        )
    with clock.frozen_at(_at(day(-68))):
        for unit, owner, planned in (
            ("吉林分行", "zhouting", -30),
            ("延边分行", "jinmei", -20),
            ("四平分行", "yangfan", -5),
        ):
            service.plan_rollout(exec_, pilot, [units[unit].id], users[owner].id, day(planned))
    with clock.frozen_at(_at(day(-67))):
        service.change_status(sunhao, pilot, ROLLING_OUT)
    with clock.frozen_at(_at(day(-35))):
        service.plan_rollout(exec_, pilot, [units["通化分行"].id], users["xulin"].id, day(25))
    tasks = {t.org_unit.name: t for t in pilot.rollouts}
    for offset, unit, owner, status, notes in (
        (-50, "吉林分行", "zhouting", IN_PROGRESS, "私行中心选址确定，人员抽调中"),
        (-40, "延边分行", "jinmei", IN_PROGRESS, "参照长春方案制定实施细则"),
        (-28, "吉林分行", "zhouting", DONE, "私行中心挂牌运营"),
        (-20, "四平分行", "yangfan", IN_PROGRESS, "投顾招聘未到位，进度滞后"),
        (-18, "延边分行", "jinmei", DONE, "私行中心挂牌运营，配备双语私行顾问"),
    ):
        task = tasks[unit]
        with clock.frozen_at(_at(day(offset), 8)):
            service.update_rollout(
                users[owner],
                task,
                service.RolloutInput(
                    status=status, planned_on=task.planned_on, owner_id=task.owner_id, notes=notes
                ),
            )


def _yanji(task_force, users, units, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    jinmei = users["jinmei"]
    with clock.frozen_at(_at(day(-45))):
        pilot = service.create_pilot(
            users["exec"],
            task_force.id,
            service.PilotInput(
                name=YANJI,
                measure="汇款到账提醒、中朝双语服务和汇款客户专属理财，先在延吉支行试行。",
                owner_id=jinmei.id,
                starts_on=day(-41),
                planned_end=day(-7),
                issue_ids=_issues(task_force, ["延边地区境外务工汇款资金到账后流向他行"]),
                unit_ids=[units["延吉支行"].id],
            ),
        )
        objective = service.add_objective(
            jinmei, pilot, "汇款到账资金三个月留存率", "%", Decimal("35"), Decimal("50")
        )
    with clock.frozen_at(_at(day(-41))):
        service.change_status(jinmei, pilot, RUNNING)
    with clock.frozen_at(_at(day(-7))):
        service.record_result(jinmei, objective, Decimal("52"))
    with clock.frozen_at(_at(day(-6))):
        service.change_status(jinmei, pilot, REVIEWING)
