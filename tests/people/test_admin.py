"""Administration: accounts, task forces, org units, the audit log and ``flask users``."""

from __future__ import annotations

import re

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from app.core.models import AuditEvent, Notification
from app.core.permissions import ADMIN, LEADER, STAFF
from app.extensions import db
from app.people.models import Membership, OrgUnit, TaskForce, User
from tests.factories import PASSWORD, make_org_unit, make_user
from tests.people.test_forms import Page, snapshot

NEW_PASSWORD = "fresh start 9"


@pytest.fixture
def admin(look):
    """An English-speaking administrator's id."""
    with look():
        return make_user("root", role=ADMIN, locale="en", email="root@example.com").id


@pytest.fixture
def admin_client(client, auth, admin):
    auth.login("root")
    return client


@pytest.fixture
def wang(look):
    with look():
        return make_user("wang", email="wang@example.com", display_name="王芳", locale="en").id


def can_log_in(app, name: str, password: str = PASSWORD) -> bool:
    return (
        app.test_client().post("/login", data={"login": name, "password": password}).status_code
        == 302
    )


def account_form(user: User, **changes) -> dict[str, str]:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "org_unit_id": str(user.org_unit_id or ""),
        "locale": user.locale,
        "version": str(user.version),
        **changes,
    }


def _events(look, action: str, entity_type: str | None = None) -> list[AuditEvent]:
    with look():
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        if entity_type:
            stmt = stmt.where(AuditEvent.entity_type == entity_type)
        return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


# --- accounts ------------------------------------------------------------------------------


def test_admin_creates_an_account(app, admin_client, look, admin):
    with look():
        unit = make_org_unit("长春分行").id

    response = admin_client.post(
        "/admin/users/new",
        data={
            "username": "zhang.wei",
            "email": "Zhang.Wei@Example.com",
            "display_name": "张伟",
            "role": "staff",
            "org_unit_id": str(unit),
            "locale": "zh_CN",
            "password": "initial pw 1",
        },
    )

    assert response.headers["Location"] == "/admin/users"
    assert "Account zhang.wei created." in Page(admin_client.get("/admin/users")).alerts[0]
    with look():
        user = db.session.scalar(select(User).where(User.username == "zhang.wei"))
        assert (user.email, user.display_name, user.role, user.org_unit_id, user.active) == (
            "zhang.wei@example.com",
            "张伟",
            STAFF,
            unit,
            True,
        )
    assert can_log_in(app, "zhang.wei", "initial pw 1")
    [event] = _events(look, "created", "user")
    assert event.actor_id == admin
    assert event.changes["username"] == [None, "zhang.wei"]


def test_admin_edits_an_account(admin_client, look, wang):
    with look():
        form = account_form(db.session.get(User, wang), display_name="王芳芳", role="frontline")

    response = admin_client.post(f"/admin/users/{wang}", data=form)

    assert response.status_code == 302
    with look():
        user = db.session.get(User, wang)
        assert (user.display_name, user.role) == ("王芳芳", "frontline")
    [event] = _events(look, "updated", "user")
    assert event.changes == {"display_name": ["王芳", "王芳芳"], "role": ["staff", "frontline"]}


def test_stale_account_edit_is_refused_and_keeps_the_typed_input(app, admin_client, look, wang):
    # The first admin opens the form ...
    opened = Page(admin_client.get(f"/admin/users/{wang}"))
    assert opened.value("version") == "1"
    # ... while a second admin saves the same account.
    with look():
        make_user("root2", role=ADMIN, email="root2@example.com")
        form = account_form(db.session.get(User, wang), display_name="王芳（财富）")
    other = app.test_client()
    other.post("/login", data={"login": "root2", "password": PASSWORD})
    assert other.post(f"/admin/users/{wang}", data=form).status_code == 302
    with look():
        before = snapshot()

    page = Page(
        admin_client.post(
            f"/admin/users/{wang}",
            data={**form, "display_name": "王芳（私行）", "version": opened.value("version")},
        )
    )

    assert page.status == 409  # the stale form, input kept (issue 24)
    assert page.form_errors == [
        "Someone else saved this record while you were editing it. Your input is kept below; "
        "reload the page to see their changes, then apply yours again."
    ]
    assert page.value("display_name") == "王芳（私行）"
    with look():
        assert snapshot() == before
        assert db.session.get(User, wang).display_name == "王芳（财富）"


def test_admin_deactivates_and_reactivates_an_account(app, admin_client, look, wang):
    response = admin_client.post(f"/admin/users/{wang}/active", data={"active": "0"})

    assert response.headers["Location"] == f"/admin/users/{wang}"
    page = Page(admin_client.get(f"/admin/users/{wang}"))
    assert "wang is deactivated and cannot log in." in page.alerts[0]
    assert "deactivated" in page.html
    assert not can_log_in(app, "wang")
    with look():
        assert db.session.get(User, wang).active is False  # the row stays

    admin_client.post(f"/admin/users/{wang}/active", data={"active": "1"})

    assert can_log_in(app, "wang")
    assert [e.changes for e in _events(look, "deactivated") + _events(look, "activated")] == [
        {"active": [True, False]},
        {"active": [False, True]},
    ]


def test_deactivated_account_is_still_listed(admin_client, wang):
    admin_client.post(f"/admin/users/{wang}/active", data={"active": "0"})

    assert "王芳" in admin_client.get("/admin/users?q=wang").get_data(as_text=True)


def test_admin_resets_a_password_and_the_user_is_told(app, admin_client, look, wang):
    response = admin_client.post(
        f"/admin/users/{wang}/password",
        data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.headers["Location"] == f"/admin/users/{wang}"
    assert not can_log_in(app, "wang", PASSWORD)
    assert can_log_in(app, "wang", NEW_PASSWORD)
    with look():
        [message] = db.session.scalars(
            select(Notification).where(Notification.recipient_id == wang)
        ).all()
        assert message.kind == "password_reset"
        assert message.read_at is None
    user = app.test_client()
    user.post("/login", data={"login": "wang", "password": NEW_PASSWORD})
    assert "An administrator reset your password." in user.get("/notifications").get_data(
        as_text=True
    )


def test_password_reset_with_differing_passwords_changes_nothing(admin_client, look, wang):
    with look():
        before = snapshot()

    page = Page(
        admin_client.post(
            f"/admin/users/{wang}/password",
            data={"new_password": NEW_PASSWORD, "confirm": "something else"},
        )
    )

    assert page.status == 400
    assert page.errors("confirm") == ["The passwords differ."]
    with look():
        assert snapshot() == before


def test_admin_cannot_deactivate_their_own_account(app, admin_client, look, admin):
    response = admin_client.post(f"/admin/users/{admin}/active", data={"active": "0"})

    assert (
        "You cannot deactivate your own account."
        in Page(admin_client.get(response.headers["Location"])).alerts[0]
    )
    with look():
        assert db.session.get(User, admin).active is True
    assert can_log_in(app, "root")


def test_admin_cannot_take_away_their_own_admin_role(admin_client, look, admin):
    with look():
        form = account_form(db.session.get(User, admin), role="staff")

    page = Page(admin_client.post(f"/admin/users/{admin}", data=form))

    assert page.errors("role") == ["You cannot take away your own administrator role."]
    with look():
        assert db.session.get(User, admin).role == ADMIN


# --- task forces ---------------------------------------------------------------------------


def test_new_task_force_puts_the_chosen_leader_on_the_roster(app, admin_client, look, wang):
    response = admin_client.post(
        "/admin/task-forces/new",
        data={
            "name": "财富管理攻坚小组",
            "goal": "非存AUM 突破千亿",
            "starts_on": "2026-01-01",
            "ends_on": "",
            "leader_id": str(wang),
        },
    )

    assert response.headers["Location"] == "/admin/task-forces"
    with look():
        task_force = db.session.scalar(
            select(TaskForce).where(TaskForce.name == "财富管理攻坚小组")
        )
        [membership] = db.session.scalars(
            select(Membership).where(Membership.task_force_id == task_force.id)
        ).all()
        assert (membership.user_id, membership.role, membership.left_on) == (wang, LEADER, None)
        assert str(membership.joined_on) == "2026-01-01"
    assert "王芳" in admin_client.get("/admin/task-forces").get_data(as_text=True)
    # The leader finds it on their roster, as leader.
    leader = app.test_client()
    leader.post("/login", data={"login": "wang", "password": PASSWORD})
    roster = leader.get("/roster").get_data(as_text=True)
    assert "财富管理攻坚小组" in roster
    assert "Leader" in roster


# --- org units -----------------------------------------------------------------------------


def _unit_form(unit: OrgUnit, **changes) -> dict[str, str]:
    return {
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": str(unit.parent_id or ""),
        "sort_order": str(unit.sort_order),
        "version": str(unit.version),
        **changes,
    }


def _tree(client) -> list[tuple[int, str]]:
    """The org-unit tree as shown: (indent, name) per row, top to bottom."""
    html = client.get("/admin/org-units").get_data(as_text=True)
    table = html.split('data-testid="org-unit-tree"', 1)[1]
    return [
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r'tree-indent-(\d)">.*?<a href="[^"]+">([^<]+)</a>', table, re.S)
    ]


def _parent_of(look, unit_id: int) -> int | None:
    with look():
        return db.session.get(OrgUnit, unit_id).parent_id


def test_admin_creates_an_org_unit_under_another(admin_client, look):
    with look():
        branch = make_org_unit("长春分行").id

    response = admin_client.post(
        "/admin/org-units/new",
        data={"name": "长春南关支行", "kind": "sub_branch", "parent_id": str(branch)},
    )

    assert response.headers["Location"] == "/admin/org-units"
    with look():
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "长春南关支行"))
        assert (unit.kind, unit.parent_id) == ("sub_branch", branch)
    assert _tree(admin_client) == [(0, "长春分行"), (1, "长春南关支行")]


def test_admin_moves_an_org_unit_under_another(admin_client, look):
    with look():
        jilin = make_org_unit("吉林分行")
        changchun = make_org_unit("长春分行")
        sub_branch = make_org_unit("南关支行", kind="sub_branch", parent=jilin)
        form, sub_branch, changchun = _unit_form(sub_branch), sub_branch.id, changchun.id

    response = admin_client.post(
        f"/admin/org-units/{sub_branch}", data={**form, "parent_id": str(changchun)}
    )

    assert response.status_code == 302
    assert _parent_of(look, sub_branch) == changchun
    assert _tree(admin_client) == [(0, "吉林分行"), (0, "长春分行"), (1, "南关支行")]
    [event] = _events(look, "updated", "org_unit")
    assert event.changes["parent_id"][1] == changchun


def test_org_unit_cannot_move_under_its_own_descendant(admin_client, look):
    with look():
        hq = make_org_unit("总行个人金融部", kind="hq_department")
        branch = make_org_unit("长春分行", parent=hq)
        sub_branch = make_org_unit("南关支行", kind="sub_branch", parent=branch)
        form, hq, sub_branch = _unit_form(hq), hq.id, sub_branch.id
        before = snapshot()

    page = Page(admin_client.post(f"/admin/org-units/{hq}", data={**form, "parent_id": sub_branch}))

    assert page.status == 200
    assert page.errors("parent_id") == ["A unit cannot be moved under itself."]
    assert page.value("parent_id") == str(sub_branch)
    with look():
        assert snapshot() == before


def test_admin_archives_an_org_unit_and_it_is_offered_no_more(admin_client, look):
    with look():
        unit = make_org_unit("撤并支行", kind="sub_branch").id

    admin_client.post(f"/admin/org-units/{unit}/archive", data={"archived": "1"})

    with look():
        assert db.session.get(OrgUnit, unit).archived  # the row stays
    assert "archived" in admin_client.get("/admin/org-units").get_data(as_text=True)
    new_unit_form = admin_client.get("/admin/org-units/new").get_data(as_text=True)
    assert f'value="{unit}"' not in new_unit_form

    admin_client.post(f"/admin/org-units/{unit}/archive", data={"archived": "0"})

    with look():
        assert not db.session.get(OrgUnit, unit).archived
    assert [e.action for e in _events(look, "archived") + _events(look, "restored")] == [
        "archived",
        "restored",
    ]


# --- audit log -----------------------------------------------------------------------------


@pytest.fixture
def history(app, admin_client, look, admin):
    """Two admins' work: root creates an org unit, root2 creates an account."""
    admin_client.post("/admin/org-units/new", data={"name": "长春分行", "kind": "branch"})
    with look():
        second = make_user("root2", role=ADMIN, display_name="李四", email="r2@example.com").id
    other = app.test_client()
    other.post("/login", data={"login": "root2", "password": PASSWORD})
    other.post(
        "/admin/users/new",
        data={
            "username": "zhang.wei",
            "email": "zhang.wei@example.com",
            "display_name": "张伟",
            "role": "staff",
            "locale": "zh_CN",
            "password": "initial pw 1",
        },
    )
    return {"root": admin, "root2": second}


def _audit_rows(page: Page) -> list[str]:
    html = page.html.split('data-testid="audit-table"', 1)[1].split("</table>", 1)[0]
    return [row for row in html.split("<tr>")[2:]]


def test_audit_log_lists_who_did_what(admin_client, history):
    page = Page(admin_client.get("/admin/audit"))

    rows = _audit_rows(page)
    # Kinds, actions and values read as labels and names, not keys (core/history.py).
    created_unit = [r for r in rows if "Org unit “长春分行”" in r and "<td>Created</td>" in r]
    created_user = [r for r in rows if "Account “" in r and "<td>Created</td>" in r]
    assert "org_unit #" not in page.html and "<code>" not in page.html
    assert len(created_unit) == len(created_user) == 1
    assert "长春分行" in created_unit[0]
    assert "李四" in created_user[0]
    assert "zhang.wei" in created_user[0]


def test_audit_log_filters_by_record_type(admin_client, history):
    rows = _audit_rows(Page(admin_client.get("/admin/audit?entity_type=org_unit")))

    assert len(rows) == 1
    assert "长春分行" in rows[0]


def test_audit_log_filters_by_actor(admin_client, look, history):
    rows = _audit_rows(Page(admin_client.get(f"/admin/audit?actor_id={history['root2']}")))

    with look():
        expected = db.session.scalar(
            select(func.count()).where(AuditEvent.actor_id == history["root2"])
        )
    assert len(rows) == expected == 2  # root2's login, and the account created
    assert all("李四" in row for row in rows)
    assert not any("长春分行" in row for row in rows)


# --- the command line ----------------------------------------------------------------------


def test_cli_creates_an_admin_with_a_password_typed_twice(app, look):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--username", "chief", "--role", "admin"],
        input="first admin 1\nfirst admin 1\n",
    )

    assert result.exit_code == 0, result.output
    assert "created chief (admin)" in result.output
    with look():
        user = db.session.scalar(select(User).where(User.username == "chief"))
        assert (user.role, user.active) == (ADMIN, True)
    client = app.test_client()
    client.post("/login", data={"login": "chief", "password": "first admin 1"})
    assert client.get("/admin/users").status_code == 200


def test_cli_refuses_a_taken_username(app, look):
    with look():
        make_user("chief")
        before = snapshot()
        expected = gettext("This username is taken.")  # the CLI speaks the default language

    result = app.test_cli_runner().invoke(
        args=["users", "create", "--username", "Chief", "--role", "admin"],
        input="first admin 1\nfirst admin 1\n",
    )

    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output
    with look():
        assert snapshot() == before


def test_cli_refuses_a_password_typed_differently_twice(app, look):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--username", "chief", "--role", "admin"],
        input="first admin 1\nfirst admin 2\nfirst admin 1\nfirst admin 1\n",
    )

    assert "do not match" in result.output
    assert result.exit_code == 0
    assert can_log_in(app, "chief", "first admin 1")
