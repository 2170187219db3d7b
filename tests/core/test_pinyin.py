"""People are listed by their Chinese names in pinyin order: pickers, the roster and
the scorecards (``app.core.i18n.pinyin_key`` and its SQL twin ``pinyin_order``)."""

from __future__ import annotations

import random

from sqlalchemy import select

from app.core.i18n import pinyin_key, pinyin_order
from app.extensions import db
from app.people.models import User
from app.people.roster import assignee_options
from tests.factories import make_membership, make_org_unit, make_task_force, make_user

NAMES = ["陈磊", "刘洋", "张慧", "王芳", "周婷", "赵静", "李明远", "马丽"]
IN_PINYIN_ORDER = ["陈磊", "李明远", "刘洋", "马丽", "王芳", "张慧", "赵静", "周婷"]


def test_common_names_sort_in_pinyin_order():
    shuffled = NAMES[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=pinyin_key) == IN_PINYIN_ORDER


def test_latin_letters_come_first_without_regard_to_case_and_nothing_fails():
    assert sorted(["王芳", "bob", "Alice", "𠀀"], key=pinyin_key)[:3] == ["Alice", "bob", "王芳"]
    assert pinyin_key(None) == b""


def test_the_database_orders_the_same_way_on_postgresql(ctx):
    for name in NAMES:
        make_user(display_name=name)
    rows = db.session.scalars(
        select(User.display_name)
        .where(User.display_name.in_(NAMES))
        .order_by(pinyin_order(User.display_name))
    ).all()
    if db.engine.dialect.name == "postgresql":
        assert rows == IN_PINYIN_ORDER
    assert sorted(rows, key=pinyin_key) == IN_PINYIN_ORDER


def test_the_picker_lists_name_and_org_unit_in_pinyin_order(ctx):
    task_force = make_task_force()
    unit = make_org_unit("零售业务部")
    for name in NAMES:
        make_membership(make_user(display_name=name, org_unit_id=unit.id), task_force)
    options = assignee_options(task_force.id)
    assert [label for _id, label in options] == [f"{n} · 零售业务部" for n in IN_PINYIN_ORDER]
