"""``flask demo load``: demo data from the source case, safe to run again.

Each feature adds its part here as it lands; a second run finds what exists and
adds nothing twice.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import click
from flask import Flask
from sqlalchemy import select

from app.core import clock
from app.core.permissions import (
    ADMIN,
    EXEC_LEADER,
    FRONTLINE,
    LEADER,
    MEMBER,
    STAFF,
    TEMP_MEMBER,
    VIEWER,
)
from app.core.scope import task_force_scope
from app.extensions import db
from app.people import service
from app.people.models import OrgUnit, TaskForce, User

DEFAULT_PASSWORD = "gongjian2026"

# (name, kind, children)
ORG_UNITS = [
    ("零售金融部", "hq_department", []),
    ("财富管理部", "hq_department", []),
    ("私人银行部", "hq_department", []),
    ("渠道管理部", "hq_department", []),
    ("金融科技部", "hq_department", []),
    ("人力资源部", "hq_department", []),
    ("长春分行", "branch", ["长春南关支行", "长春朝阳支行", "长春分行私人银行中心"]),
    ("吉林分行", "branch", ["吉林船营支行", "吉林昌邑支行"]),
    ("延边分行", "branch", ["延吉支行"]),
    ("四平分行", "branch", []),
    ("通化分行", "branch", []),
]

# (username, name, bank-wide role, org unit, role on the AUM task force)
USERS = [
    ("admin", "系统管理员", ADMIN, "金融科技部", None),
    ("leader", "李明远", STAFF, "零售金融部", LEADER),
    ("exec", "张慧", STAFF, "财富管理部", EXEC_LEADER),
    ("chenlei", "陈磊", STAFF, "零售金融部", MEMBER),
    ("liuyang", "刘洋", STAFF, "财富管理部", MEMBER),
    ("zhaojing", "赵静", STAFF, "私人银行部", MEMBER),
    ("sunhao", "孙浩", STAFF, "长春分行", MEMBER),
    ("zhouting", "周婷", STAFF, "吉林分行", MEMBER),
    ("wuqiang", "吴强", STAFF, "金融科技部", MEMBER),
    ("zhengkai", "郑凯", STAFF, "长春南关支行", TEMP_MEMBER),
    ("wangfang", "王芳", STAFF, "人力资源部", VIEWER),
    ("mali", "马丽", FRONTLINE, "长春朝阳支行", None),
]

AUM_TASK_FORCE = "非存AUM攻坚克难小组"
AUM_GOAL = (
    "瞄准非存AUM千亿目标：一年内非存AUM升至1000亿元，"
    "以客户、渠道、产品、管理四个维度的重点问题清单为抓手，"
    "推动提级沟通、提级决策、提级督导，基于试点抓落实、复制推广。"
)
SECOND_TASK_FORCE = "普惠金融攻坚小组"
SECOND_GOAL = "普惠小微贷款余额年内增长20%，首贷户数翻番。"


def _org_units() -> dict[str, OrgUnit]:
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    existing = {u.name: u for u in db.session.scalars(select(OrgUnit))}
    for order, (name, kind, children) in enumerate(ORG_UNITS):
        if name not in existing:
            existing[name] = service.create_org_unit(
                admin, service.OrgUnitInput(name=name, kind=kind, sort_order=order)
            )
        for child_order, child in enumerate(children):
            if child not in existing:
                existing[child] = service.create_org_unit(
                    admin,
                    service.OrgUnitInput(
                        name=child,
                        kind="sub_branch",
                        parent_id=existing[name].id,
                        sort_order=child_order,
                    ),
                )
    return existing


def _users(password: str) -> dict[str, User]:
    existing = {u.username: u for u in db.session.scalars(select(User))}
    if "admin" not in existing:
        existing["admin"] = service.create_user(
            None,
            service.UserInput(
                username="admin",
                email="admin@gongjian.local",
                display_name="系统管理员",
                role=ADMIN,
                password=password,
            ),
        )
    units = _org_units()
    admin = existing["admin"]
    for username, name, role, unit, _tf_role in USERS:
        if username in existing:
            continue
        existing[username] = service.create_user(
            admin,
            service.UserInput(
                username=username,
                email=f"{username}@gongjian.local",
                display_name=name,
                role=role,
                org_unit_id=units[unit].id,
                password=password,
            ),
        )
    return existing


def _task_forces(users: dict[str, User]) -> None:
    admin = users["admin"]
    today = clock.today()
    start = date(today.year, 1, 1) if today.month > 1 else date(today.year - 1, 1, 1)
    aum = db.session.scalar(select(TaskForce).where(TaskForce.name == AUM_TASK_FORCE))
    if aum is None:
        aum = service.create_task_force(
            admin,
            service.TaskForceInput(
                name=AUM_TASK_FORCE,
                goal=AUM_GOAL,
                starts_on=start,
                ends_on=date(start.year, 12, 31),
                leader_id=users["leader"].id,
            ),
        )
        with task_force_scope(aum.id):
            for username, _name, _role, _unit, tf_role in USERS:
                if tf_role in (None, LEADER):
                    continue
                ends_on = today + timedelta(days=90) if tf_role == TEMP_MEMBER else None
                service.add_member(
                    admin, aum.id, users[username].id, tf_role, joined_on=start, ends_on=ends_on
                )
    second = db.session.scalar(select(TaskForce).where(TaskForce.name == SECOND_TASK_FORCE))
    if second is None:
        second = service.create_task_force(
            admin,
            service.TaskForceInput(
                name=SECOND_TASK_FORCE,
                goal=SECOND_GOAL,
                starts_on=start,
                ends_on=date(start.year, 12, 31),
                leader_id=users["exec"].id,
            ),
        )
        with task_force_scope(second.id):
            for username, role in (("liuyang", MEMBER), ("zhouting", MEMBER), ("leader", VIEWER)):
                service.add_member(admin, second.id, users[username].id, role, joined_on=start)


def load_demo(password: str = DEFAULT_PASSWORD) -> None:
    users = _users(password)
    _task_forces(users)


def register(app: Flask) -> None:
    demo = click.Group("demo", help="Demo data from the source case.")

    @demo.command("load")
    def load_command() -> None:
        """Create the demo accounts, org units and task forces (again: adds nothing twice)."""
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        load_demo(password)
        click.echo(f"Demo logins (password: {password}):")
        for username, name, _role, _unit, tf_role in USERS:
            label = tf_role or _role
            click.echo(f"  {username:<10} {name}  ({label})")

    app.cli.add_command(demo)
