"""The roster: who is on a task force, in which role, since and until when.

Service tests run inside ``ctx`` and the task force's scope; the tests that use the web
pages hold no application context while the client runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g as flask_g
from sqlalchemy import select

from app.core import clock
from app.core.errors import PermissionDenied, ValidationFailed
from app.core.models import AuditEvent, Notification
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER, TEMP_MEMBER, VIEWER
from app.core.scope import task_force_scope
from app.extensions import db
from app.people import service
from app.people.models import Membership, TaskForce, User
from tests.factories import make_membership, make_task_force, make_user
from tests.people.test_forms import snapshot


def person(world, persona: str) -> User:
    return db.session.get(User, world.users[persona])


def membership(membership_id: int) -> Membership:
    return db.session.get(Membership, membership_id)


def events(entity_id: int, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "membership",
                AuditEvent.entity_id == entity_id,
                AuditEvent.action == action,
            )
        )
    )


def messages_to(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(select(Notification).where(Notification.recipient_id == user_id))
    )


def memberships_of(user_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
        )
    )


# --- adding, changing, ending --------------------------------------------------------------


def test_leader_adds_a_member(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    today = clock.today()

    with task_force_scope(world.task_force_id):
        added = service.add_member(leader, world.task_force_id, outsider.id, MEMBER, note="私行")

    assert (added.role, added.joined_on, added.left_on, added.note) == (MEMBER, today, None, "私行")
    assert added.org_unit_id == world.org_unit_id  # the person's own unit by default
    assert outsider.roles_in(world.task_force_id) == {MEMBER}
    [message] = messages_to(outsider.id)
    assert "非存AUM攻坚克难小组" in message.text
    [joined] = events(added.id, "joined")
    assert joined.actor_id == leader.id
    assert joined.changes == {"role": [None, MEMBER], "joined_on": [None, today.isoformat()]}


def test_member_can_be_added_from_a_later_day(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    next_week = clock.today() + timedelta(days=7)

    with task_force_scope(world.task_force_id):
        service.add_member(leader, world.task_force_id, outsider.id, MEMBER, joined_on=next_week)

    assert outsider.roles_in(world.task_force_id) == set()
    clock.set_today(next_week)
    assert outsider.roles_in(world.task_force_id) == {MEMBER}


def test_role_change_keeps_the_old_membership_in_the_history(ctx, world):
    leader, member = person(world, "leader"), person(world, "member")
    old = membership(world.memberships["member"])
    today = clock.today()

    with task_force_scope(world.task_force_id):
        new = service.change_role(leader, old, EXEC_LEADER)
        history = service.roster(leader, world.task_force_id).history

    assert (old.role, old.left_on) == (MEMBER, today)
    assert (new.role, new.joined_on, new.left_on) == (EXEC_LEADER, today, None)
    assert [m.id for m in memberships_of(member.id)] == [old.id, new.id]
    assert {old.id, new.id} <= {m.id for m in history}
    assert member.roles_in(world.task_force_id) == {EXEC_LEADER}


def test_ending_a_membership_keeps_the_row_and_tells_the_member(ctx, world):
    leader, member = person(world, "leader"), person(world, "member")
    ending = membership(world.memberships["member"])

    with task_force_scope(world.task_force_id):
        service.end_membership(leader, ending, note="调回总行")
        current = service.roster(leader, world.task_force_id).current

    db.session.expire_all()
    ended = membership(world.memberships["member"])
    assert (ended.left_on, ended.note) == (clock.today(), "调回总行")
    assert member.id not in {m.user_id for m in current}
    assert member.roles_in(world.task_force_id) == set()
    [message] = messages_to(member.id)
    assert message.kind == "membership"
    assert "非存AUM攻坚克难小组" in message.text


def test_roster_changes_are_audited_with_old_and_new_values(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    today = clock.today().isoformat()

    with task_force_scope(world.task_force_id):
        first = service.add_member(leader, world.task_force_id, outsider.id, VIEWER)
        second = service.change_role(leader, first, MEMBER)
        service.end_membership(leader, second)

    written = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "membership").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id, e.changes) for e in written] == [
        ("joined", first.id, {"role": [None, VIEWER], "joined_on": [None, today]}),
        ("role_changed", first.id, {"role": [VIEWER, MEMBER], "left_on": [None, today]}),
        ("joined", second.id, {"role": [None, MEMBER], "joined_on": [None, today]}),
        ("left", second.id, {"left_on": [None, today]}),
    ]
    assert {(e.actor_id, e.task_force_id) for e in written} == {(leader.id, world.task_force_id)}


def test_person_already_on_the_roster_cannot_be_added_twice(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    with task_force_scope(world.task_force_id):
        service.add_member(leader, world.task_force_id, outsider.id, MEMBER)
    before = snapshot()

    with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed) as refused:
        service.add_member(leader, world.task_force_id, outsider.id, VIEWER)

    assert refused.value.field == "user_id"
    assert snapshot() == before


def test_person_who_left_can_join_again(ctx, world):
    leader, member = person(world, "leader"), person(world, "member")
    with task_force_scope(world.task_force_id):
        service.end_membership(leader, membership(world.memberships["member"]))
        clock.set_today(clock.today() + timedelta(days=1))
        service.add_member(leader, world.task_force_id, member.id, VIEWER)

    assert member.roles_in(world.task_force_id) == {VIEWER}
    assert len(memberships_of(member.id)) == 2


def test_deactivated_account_cannot_be_added(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    outsider.active = False
    db.session.commit()

    with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed) as refused:
        service.add_member(leader, world.task_force_id, outsider.id, MEMBER)

    assert refused.value.field == "user_id"


# --- temporary members ---------------------------------------------------------------------


def test_temporary_member_needs_an_end_date(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    before = snapshot()

    with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed) as refused:
        service.add_member(leader, world.task_force_id, outsider.id, TEMP_MEMBER)

    assert refused.value.field == "ends_on"
    assert snapshot() == before


def test_temporary_member_loses_access_when_membership_ends(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")
    today = clock.today()
    last_day = today + timedelta(days=10)
    with task_force_scope(world.task_force_id):
        service.add_member(leader, world.task_force_id, outsider.id, TEMP_MEMBER, ends_on=last_day)

    assert outsider.roles_in(world.task_force_id) == {TEMP_MEMBER}
    clock.set_today(last_day)
    assert outsider.roles_in(world.task_force_id) == {TEMP_MEMBER}
    clock.set_today(last_day + timedelta(days=1))
    assert outsider.roles_in(world.task_force_id) == set()
    assert service.available_task_forces(outsider) == []


def test_temporary_member_is_shut_out_of_the_roster_page_after_the_end_date(
    client, auth, look, world
):
    with look():
        ends_on = membership(world.memberships["temp_member"]).ends_on
    auth.login("temp_member")
    assert client.get("/roster").status_code == 200

    clock.set_today(ends_on + timedelta(days=1))
    auth.login("temp_member")  # a session lasts 14 days at most: signed in again that day

    assert client.get("/roster").status_code == 403
    assert client.get("/roster/add").status_code == 403


def test_expired_temporary_member_sees_no_task_force(client, auth, world):
    auth.login("expired_temp")

    assert client.get("/roster").status_code == 403
    assert "非存AUM攻坚克难小组" not in client.get("/").get_data(as_text=True)


# --- who may manage the roster -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "temp_member", "viewer", "expired_temp", "outsider"])
def test_only_leaders_and_admins_manage_the_roster(ctx, world, persona):
    actor, outsider = person(world, persona), person(world, "outsider")
    viewer = membership(world.memberships["viewer"])
    before = snapshot()

    with task_force_scope(world.task_force_id):
        with pytest.raises(PermissionDenied):
            service.add_member(actor, world.task_force_id, outsider.id, MEMBER)
        with pytest.raises(PermissionDenied):
            service.change_role(actor, viewer, MEMBER)
        with pytest.raises(PermissionDenied):
            service.end_membership(actor, viewer)

    assert snapshot() == before


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "admin"])
def test_leaders_and_admins_manage_the_roster(ctx, world, persona):
    actor, outsider = person(world, persona), person(world, "outsider")

    with task_force_scope(world.task_force_id):
        added = service.add_member(actor, world.task_force_id, outsider.id, VIEWER)
        changed = service.change_role(actor, added, MEMBER)
        service.end_membership(actor, changed)

    assert outsider.roles_in(world.task_force_id) == set()


def test_leader_of_one_task_force_cannot_manage_another(ctx, world):
    leader, outsider = person(world, "leader"), person(world, "outsider")

    with task_force_scope(world.other_task_force_id), pytest.raises(PermissionDenied):
        service.add_member(leader, world.other_task_force_id, outsider.id, MEMBER)


def test_leader_cannot_remove_themself(ctx, world):
    leader = person(world, "leader")

    with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed):
        service.end_membership(leader, membership(world.memberships["leader"]))

    assert leader.roles_in(world.task_force_id) == {LEADER}


# --- leadership: who may grant or take the leader's and the executive leader's roles -------


def test_the_executive_leader_cannot_make_themself_leader(ctx, world):
    exec_leader = person(world, "exec_leader")
    before = snapshot()
    with task_force_scope(world.task_force_id), pytest.raises(PermissionDenied):
        service.change_role(exec_leader, membership(world.memberships["exec_leader"]), LEADER)
    assert snapshot() == before
    assert exec_leader.roles_in(world.task_force_id) == {EXEC_LEADER}


def test_the_executive_leader_cannot_end_the_leaders_membership(ctx, world):
    exec_leader = person(world, "exec_leader")
    before = snapshot()
    with task_force_scope(world.task_force_id), pytest.raises(PermissionDenied):
        service.end_membership(exec_leader, membership(world.memberships["leader"]))
    assert snapshot() == before


def test_the_executive_leader_appoints_members_but_not_leaders(ctx, world):
    exec_leader, outsider = person(world, "exec_leader"), person(world, "outsider")
    with task_force_scope(world.task_force_id):
        for role in (LEADER, EXEC_LEADER):
            with pytest.raises(PermissionDenied):
                service.add_member(exec_leader, world.task_force_id, outsider.id, role)
        with pytest.raises(PermissionDenied):
            service.change_role(exec_leader, membership(world.memberships["member"]), EXEC_LEADER)
        added = service.add_member(exec_leader, world.task_force_id, outsider.id, MEMBER)
    assert added.role == MEMBER


def test_the_executive_leader_cannot_change_their_own_role(ctx, world):
    exec_leader = person(world, "exec_leader")
    with task_force_scope(world.task_force_id), pytest.raises(PermissionDenied):
        service.change_role(exec_leader, membership(world.memberships["exec_leader"]), MEMBER)


def test_the_leader_appoints_and_removes_an_executive_leader(ctx, world):
    leader = person(world, "leader")
    with task_force_scope(world.task_force_id):
        promoted = service.change_role(leader, membership(world.memberships["member"]), EXEC_LEADER)
        service.end_membership(leader, membership(world.memberships["exec_leader"]))
    assert promoted.role == EXEC_LEADER
    assert person(world, "exec_leader").roles_in(world.task_force_id) == set()


def test_a_task_force_never_loses_its_last_leader(ctx, world):
    leader, admin = person(world, "leader"), person(world, "admin")
    own = membership(world.memberships["leader"])
    with task_force_scope(world.task_force_id):
        with pytest.raises(ValidationFailed, match="组长"):
            service.change_role(leader, own, MEMBER)
        with pytest.raises(ValidationFailed, match="组长"):
            service.end_membership(admin, own)
        # With a second leader appointed, the first may step down.
        service.change_role(admin, membership(world.memberships["exec_leader"]), LEADER)
        service.change_role(leader, membership(world.memberships["leader"]), MEMBER)
    assert leader.roles_in(world.task_force_id) == {MEMBER}


def test_the_roster_page_offers_the_executive_leader_no_leadership_role(client, auth, world):
    auth.login("exec_leader")
    page = client.get("/roster/add").get_data(as_text=True)
    assert 'value="member"' in page
    assert 'value="leader"' not in page and 'value="exec_leader"' not in page
    roster = client.get("/roster").get_data(as_text=True)
    leader_row = roster.split(">leader</span>", 1)[1].split("</tr>", 1)[0]
    assert "/role" not in leader_row and "/end" not in leader_row
    response = client.post(
        f"/roster/{world.memberships['exec_leader']}/role", data={"role": "leader"}
    )
    assert response.status_code == 200  # the form again, with the reason


# --- several task forces -------------------------------------------------------------------


def _current_roster(client) -> str:
    page = client.get("/roster").get_data(as_text=True)
    return page.split('data-testid="roster-current"', 1)[1].split("</table>", 1)[0]


def _on_roster(roster: str, username: str) -> bool:
    return f">{username}</span>" in roster


def test_switching_task_force_changes_the_roster_shown(client, auth, look, world):
    wealth, inclusive = world.task_force_id, world.other_task_force_id
    with look():
        both = make_user("both", locale="en")
        make_membership(both, db.session.get(TaskForce, wealth))
        make_membership(both, db.session.get(TaskForce, inclusive))
        both = both.id
    auth.login("both")

    first = _current_roster(client)
    assert _on_roster(first, "leader") != _on_roster(first, "stranger")

    client.post(f"/switch/{inclusive}")
    inclusive_roster = _current_roster(client)
    client.post(f"/switch/{wealth}")
    wealth_roster = _current_roster(client)

    assert _on_roster(inclusive_roster, "stranger")
    assert not _on_roster(inclusive_roster, "leader")
    assert _on_roster(wealth_roster, "leader")
    assert not _on_roster(wealth_roster, "stranger")
    with look():
        assert db.session.get(User, both).current_task_force_id == wealth


def test_switching_to_a_task_force_one_is_not_on_changes_nothing(client, auth, look, world):
    auth.login("leader")
    with look():
        before = snapshot()

    response = client.post(f"/switch/{world.other_task_force_id}")

    assert response.status_code == 302
    assert "非存AUM攻坚克难小组" in client.get("/roster").get_data(as_text=True)
    with look():
        assert snapshot() == before


def test_membership_of_another_task_force_is_not_found(client, auth, look, world):
    auth.login("leader")
    with look():
        before = snapshot()

    url = f"/roster/{world.other_membership_id}"
    assert client.get(f"{url}/role").status_code == 404
    assert client.post(f"{url}/role", data={"role": VIEWER}).status_code == 404
    assert client.get(f"{url}/end").status_code == 404
    assert client.post(f"{url}/end", data={"note": "bye"}).status_code == 404
    with look():
        assert snapshot() == before


def test_leader_changes_a_role_on_the_roster_page(client, auth, look, world):
    auth.login("leader")
    with look():
        name = person(world, "member").display_name

    response = client.post(
        f"/roster/{world.memberships['member']}/role", data={"role": EXEC_LEADER, "ends_on": ""}
    )

    assert response.headers["Location"] == "/roster"
    page = client.get("/roster").get_data(as_text=True)
    history = page.split('data-testid="roster-history"', 1)[1]
    assert history.count(name) == 2  # the old membership and the new one
    with look():
        assert [m.role for m in memberships_of(world.users["member"])] == [MEMBER, EXEC_LEADER]


def test_admin_on_no_roster_still_manages_the_current_task_force(client, auth, look, world):
    auth.login("admin")
    client.post(f"/switch/{world.task_force_id}")

    response = client.post(
        "/roster/add", data={"user_id": str(world.users["outsider"]), "role": MEMBER}
    )

    assert response.headers["Location"] == "/roster"
    with look():
        [added] = memberships_of(world.users["outsider"])
        assert added.task_force_id == world.task_force_id


def test_a_new_task_force_starts_with_an_empty_roster(ctx, world):
    admin = person(world, "admin")
    task_force = make_task_force("空白小组")

    with task_force_scope(task_force.id):
        data = service.roster(admin, task_force.id)

    assert (data.current, data.history) == ([], [])


def _read_with_the_reader(app, user_id: int):
    """What ``load_user`` read along with the reader, and what is read alone."""
    from app.people.models import UserSession

    with app.test_request_context("/"):
        sid = db.session.scalar(select(UserSession.id).where(UserSession.user_id == user_id))
        loaded = app.login_manager._user_callback(f"{user_id}:{sid}")
        read_user, read_along = flask_g.reader_task_forces
        assert read_user == user_id
        along = [(tf.name, role) for tf, role in read_along]
        alone = service.available_task_forces(db.session.get(User, user_id))
        return along, [(tf.name, *loaded.roles_in(tf.id)) for tf in alone]


def test_the_task_forces_read_with_the_reader_are_those_read_on_their_own(app, look, login):
    """Each request reads its reader and their task forces in one query (``load_user``
    with ``with_member_task_forces``): the same task forces in the same order, with the
    same roles, as ``available_task_forces`` reads alone; an archived task force, an
    ended membership and one not yet begun are left out, and no membership means none."""
    with look():
        reader, loner = make_user("reader"), make_user("loner")
        ids = reader.id, loner.id
        for name, role, joined, left in [
            ("丙组", MEMBER, None, None),
            ("甲组", LEADER, None, None),
            ("丁组", VIEWER, None, None),
            ("戊组", LEADER, None, clock.today() - timedelta(days=1)),
            ("己组", LEADER, clock.today() + timedelta(days=1), None),
        ]:
            make_membership(reader, make_task_force(name), role, joined_on=joined, left_on=left)
        make_membership(reader, make_task_force("乙组", archived_at=clock.now()), EXEC_LEADER)
    login("reader"), login("loner")

    along, alone = _read_with_the_reader(app, ids[0])
    assert along == alone == [("甲组", LEADER), ("丙组", MEMBER), ("丁组", VIEWER)]
    assert _read_with_the_reader(app, ids[1]) == ([], [])


def test_the_pickers_options_read_as_columns_are_the_objects_labels(ctx):
    """The assignee, org unit and category pickers read a few columns, not objects: the
    same options, in the same order, as the plain definitions over the objects."""
    from app.core.tree import depth_first, indented_options
    from app.issues.models import Category
    from app.issues.service import categories
    from app.people import roster
    from app.people.models import OrgUnit
    from app.people.service import org_units
    from tests.factories import make_category, make_org_unit

    task_force = make_task_force()
    top = make_org_unit("零售业务部")
    below = make_org_unit("长春分行", parent=top)
    gone = make_org_unit("撤销的部门")
    gone.archived_at = clock.now()
    for name, unit in (("王芳", below), ("Alice", None), ("陈明", top), ("李雷", gone)):
        make_membership(make_user(display_name=name, org_unit_id=unit and unit.id), task_force)
    make_membership(make_user(display_name="观察员"), task_force, role=VIEWER)
    root = make_category(task_force.id, "客户端", prefix="KH")
    child = make_category(task_force.id, "引客", parent=root)
    make_category(task_force.id, "粘客", parent=root)
    make_category(task_force.id, "新客首投", parent=child)
    db.session.commit()

    users = roster.assignable_users(task_force.id)
    assert roster._assignee_options(task_force.id) == [
        (u.id, roster.person_label(u)) for u in users
    ]
    assert [label for _id, label in roster._assignee_options(task_force.id)] == [
        "Alice", "陈明 · 零售业务部", "李雷 · 撤销的部门", "王芳 · 长春分行"
    ]  # fmt: skip

    units = [u for u in db.session.scalars(select(OrgUnit)) if not u.archived]
    assert org_units.org_unit_options() == indented_options(
        depth_first(units, lambda u: (u.sort_order, u.name)), lambda u: u.name
    )
    with task_force_scope(task_force.id):
        objects = list(db.session.scalars(select(Category)))
        for exclude in (None, child.path):
            kept = [c for c in objects if not (exclude and c.path.startswith(exclude))]
            assert categories.category_options(task_force.id, exclude) == indented_options(
                depth_first(kept, lambda c: (c.sort_order, c.id)), lambda c: c.name
            )
