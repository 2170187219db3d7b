"""Bad input on every form of the people feature.

Whatever a person types (nothing, far too much, or something malformed), the form comes
back with the message under the field it concerns, what they typed is still there
(passwords excepted), and the database is exactly as it was.

``Page`` and ``snapshot`` are used by the other modules of this folder as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.permissions import ADMIN, LEADER, MEMBER
from app.extensions import db
from app.people.models import Membership, User
from tests.factories import make_membership, make_org_unit, make_task_force, make_user

LONG = "x" * 300


class Page(HTMLParser):
    """What a person sees on a rendered page: each field's value, the messages shown
    under it (a Bootstrap ``invalid-feedback`` after the field), the form-wide messages,
    the flashed alerts and the buttons."""

    VOID = {"input", "option", "meta", "link", "br", "hr", "img", "source", "wbr"}

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self._values: dict[str, str | None] = {}
        self._invalid: dict[str, bool] = {}
        self._errors: dict[str, list[str]] = {}
        self.form_errors: list[str] = []
        self.alerts: list[str] = []
        self.buttons: list[str] = []
        self._last: str | None = None  # the field a feedback that follows belongs to
        self._select: str | None = None
        # One entry per open element: what it is, and the text it collects (or None).
        self._stack: list[tuple[str | None, list[str] | None]] = []
        self.feed(self.html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        name = attrs.get("name")
        role = None
        if tag in ("input", "select", "textarea") and name:
            self._last = name
            self._invalid.setdefault(name, "is-invalid" in classes)
            if tag == "input" and attrs.get("type") == "checkbox":
                self._values.setdefault(name, "y" if "checked" in attrs else None)
            elif tag == "input":
                self._values.setdefault(name, attrs.get("value"))
            elif tag == "select":
                self._select = name
                self._values.setdefault(name, None)
            else:
                role = f"textarea:{name}"
        elif tag == "option" and self._select and "selected" in attrs:
            self._values[self._select] = attrs.get("value")
        elif tag == "div" and "invalid-feedback" in classes:
            role = "feedback"
        elif tag == "div" and self._stack and self._stack[-1][0] == "form-errors":
            role = "form-error"
        elif tag == "div" and attrs.get("data-testid") == "form-errors":
            role = "form-errors"
        elif tag == "div" and "alert" in classes:
            role = "alert"
        elif tag == "button":
            role = "button"
        if tag not in self.VOID:
            collects = role is not None and role != "form-errors"
            self._stack.append((role, [] if collects else None))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag in self.VOID or not self._stack:
            return
        role, collected = self._stack.pop()
        if collected is None:
            return
        text = " ".join("".join(collected).split())
        if role == "feedback" and self._last:
            self._errors.setdefault(self._last, []).append(text)
        elif role == "form-error":
            self.form_errors.append(text)
        elif role == "alert":
            self.alerts.append(text)
        elif role == "button":
            self.buttons.append(text)
        else:
            # HTML drops the line break that directly follows <textarea>.
            content = "".join(collected)
            content = content[2:] if content.startswith("\r\n") else content.removeprefix("\n")
            self._values.setdefault(role.split(":", 1)[1], content)

    def handle_data(self, data):
        for _role, collected in self._stack:
            if collected is not None:
                collected.append(data)

    def value(self, name: str) -> str | None:
        """The value the field shows (for a select, the chosen option)."""
        return self._values.get(name)

    def has_field(self, name: str) -> bool:
        return name in self._values

    def errors(self, name: str) -> list[str]:
        """The messages shown under the field, only if the field is marked invalid
        (Bootstrap shows an ``invalid-feedback`` only after an ``is-invalid`` field)."""
        return self._errors.get(name, []) if self._invalid.get(name) else []

    def all_field_errors(self) -> dict[str, list[str]]:
        return {name: self.errors(name) for name in self._errors if self.errors(name)}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table: equal snapshots mean nothing was written."""
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
        for table in db.metadata.sorted_tables
    }


@dataclass
class Bad:
    """One bad submission: what is posted, the field blamed, and what stays typed in."""

    data: dict[str, str]
    field: str
    message: str  # a part of the message shown under ``field``
    kept: dict[str, str] = field(default_factory=dict)


def submit_and_expect_refusal(client, look, url: str, case: Bad, status: int = 200) -> Page:
    with look():
        before = snapshot()
    page = Page(client.post(url, data=case.data))
    assert page.status == status
    assert any(case.message in error for error in page.errors(case.field)), (
        f"no {case.message!r} under {case.field!r}; field errors: {page.all_field_errors()}, "
        f"form errors: {page.form_errors}"
    )
    for name, typed in case.kept.items():
        assert page.value(name) == typed, f"{name} lost what was typed"
    with look():
        assert snapshot() == before
    return page


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, auth, look):
    """An English-speaking administrator, logged in."""
    with look():
        make_user("root", role=ADMIN, locale="en", email="root@example.com")
    auth.login("root")
    return client


@pytest.fixture
def roster_setup(client, auth, look):
    """A task force led by an English-speaking leader (logged in), with one member."""
    with look():
        task_force = make_task_force("Wealth AUM task force")
        leader = make_user("lead", locale="en", email="lead@example.com")
        member = make_user("ming", locale="en", email="ming@example.com")
        make_user("newcomer", locale="en", email="newcomer@example.com")
        make_membership(leader, task_force, LEADER)
        membership = make_membership(member, task_force, MEMBER)
        ids = {"task_force": task_force.id, "membership": membership.id}
    auth.login("lead")
    return ids


def _user_id(look, username: str) -> int:
    with look():
        return db.session.scalar(select(User.id).where(User.username == username))


# --- login ---------------------------------------------------------------------------------


LOGIN_CASES = {
    "nothing typed": Bad({"login": "", "password": ""}, "login", "required"),
    "password missing": Bad(
        {"login": "wang", "password": ""}, "password", "required", kept={"login": "wang"}
    ),
    "name too long": Bad({"login": LONG, "password": "pw"}, "login", "254", kept={"login": LONG}),
    "password too long": Bad(
        {"login": "wang", "password": LONG}, "password", "128", kept={"login": "wang"}
    ),
}


@pytest.mark.parametrize("case", LOGIN_CASES.values(), ids=LOGIN_CASES.keys())
def test_login_form_refuses_bad_input(client, look, case):
    with look():
        make_user("wang")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = submit_and_expect_refusal(client, look, "/login", case)
    assert not page.value("password")  # a password is never sent back


# --- password change -----------------------------------------------------------------------


PASSWORD_CASES = {
    "nothing typed": Bad(
        {"current_password": "", "new_password": "", "confirm": ""},
        "current_password",
        "required",
    ),
    "new password missing": Bad(
        {"current_password": "correct horse 1", "new_password": "", "confirm": ""},
        "new_password",
        "required",
    ),
    "new password too long": Bad(
        {"current_password": "correct horse 1", "new_password": LONG, "confirm": LONG},
        "new_password",
        "128",
    ),
    "new password too short": Bad(
        {"current_password": "correct horse 1", "new_password": "short", "confirm": "short"},
        "new_password",
        "At least 8 characters.",
    ),
    "repeat differs": Bad(
        {"current_password": "correct horse 1", "new_password": "a new one 2", "confirm": "other"},
        "confirm",
        "The passwords differ.",
    ),
}


@pytest.mark.parametrize("case", PASSWORD_CASES.values(), ids=PASSWORD_CASES.keys())
def test_password_change_form_refuses_bad_input(client, auth, look, case):
    with look():
        make_user("wang", locale="en")
    auth.login("wang")
    page = submit_and_expect_refusal(client, look, "/account/password", case)
    for name in ("current_password", "new_password", "confirm"):
        assert not page.value(name)


# --- accounts ------------------------------------------------------------------------------


ACCOUNT = {
    "username": "wang.fang",
    "email": "wang.fang@example.com",
    "display_name": "王芳",
    "role": "staff",
    "org_unit_id": "",
    "locale": "zh_CN",
}
TYPED = {"username": "wang.fang", "email": "wang.fang@example.com", "display_name": "王芳"}


def _account(**changes) -> dict[str, str]:
    return {**ACCOUNT, "password": "initial pw 1", **changes}


def _typed(**changes) -> dict[str, str]:
    return {**TYPED, **changes}


ACCOUNT_CASES = {
    "nothing typed": Bad(
        _account(username="", email="", display_name="", password=""), "username", "required"
    ),
    "no e-mail": Bad(_account(email=""), "email", "required", kept=_typed(email="")),
    "no name": Bad(_account(display_name=""), "display_name", "required", _typed(display_name="")),
    "username too long": Bad(_account(username=LONG), "username", "40", _typed(username=LONG)),
    "e-mail too long": Bad(
        _account(email=LONG + "@example.com"), "email", "254", _typed(email=LONG + "@example.com")
    ),
    "name too long": Bad(
        _account(display_name=LONG), "display_name", "60", _typed(display_name=LONG)
    ),
    "username with spaces": Bad(
        _account(username="wang fang"),
        "username",
        "Use letters, digits, dot, dash and underscore only.",
        _typed(username="wang fang"),
    ),
    "bad e-mail": Bad(
        _account(email="wang.fang-at-example.com"),
        "email",
        "Not a valid e-mail address.",
        _typed(email="wang.fang-at-example.com"),
    ),
    "org unit not a number": Bad(
        _account(org_unit_id="abc"), "org_unit_id", "Invalid Choice", TYPED
    ),
    "unknown role": Bad(_account(role="superuser"), "role", "Not a valid choice", TYPED),
    "unknown language": Bad(_account(locale="fr"), "locale", "Not a valid choice", TYPED),
}
CREATE_ONLY_CASES = {
    "no password": Bad(_account(password=""), "password", "required", TYPED),
    "password too short": Bad(
        _account(password="short"), "password", "At least 8 characters.", TYPED
    ),
    "password too long": Bad(_account(password=LONG), "password", "128", TYPED),
    "username taken": Bad(
        _account(username="Existing"),
        "username",
        "This username is taken.",
        _typed(username="Existing"),
    ),
    "e-mail taken": Bad(
        _account(email="EXISTING@example.com"),
        "email",
        "This e-mail address is already used.",
        _typed(email="EXISTING@example.com"),
    ),
}


@pytest.mark.parametrize(
    "case",
    [*ACCOUNT_CASES.values(), *CREATE_ONLY_CASES.values()],
    ids=[*ACCOUNT_CASES, *CREATE_ONLY_CASES],
)
def test_account_creation_refuses_bad_input(admin_client, look, case):
    with look():
        make_user("existing", email="existing@example.com")
    page = submit_and_expect_refusal(admin_client, look, "/admin/users/new", case)
    assert not page.value("password")


@pytest.mark.parametrize("case", ACCOUNT_CASES.values(), ids=ACCOUNT_CASES.keys())
def test_account_edit_refuses_bad_input(admin_client, look, case):
    with look():
        user = make_user("wang.fang", email="wang.fang@example.com", display_name="王芳")
        url, version = f"/admin/users/{user.id}", str(user.version)
    data = {k: v for k, v in case.data.items() if k != "password"}
    edit = Bad({**data, "version": version}, case.field, case.message, case.kept)
    submit_and_expect_refusal(admin_client, look, url, edit)


def test_account_edit_refuses_a_name_another_account_has(admin_client, look):
    with look():
        make_user("existing", email="existing@example.com")
        user = make_user("wang.fang", email="wang.fang@example.com")
        url, version = f"/admin/users/{user.id}", str(user.version)
    case = Bad(
        {**ACCOUNT, "username": "EXISTING", "version": version},
        "username",
        "This username is taken.",
        _typed(username="EXISTING"),
    )
    submit_and_expect_refusal(admin_client, look, url, case)


# --- task forces ---------------------------------------------------------------------------


TASK_FORCE = {
    "name": "Inclusive finance",
    "goal": "Double small-business loans",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "leader_id": "",
}
TF_TYPED = {"name": "Inclusive finance", "goal": "Double small-business loans"}


def _tf(**changes):
    return {**TASK_FORCE, **changes}


TASK_FORCE_CASES = {
    "nothing typed": Bad(_tf(name="", goal="", starts_on="", ends_on=""), "name", "required"),
    "no goal": Bad(_tf(goal=""), "goal", "required", {"name": "Inclusive finance"}),
    "no start": Bad(_tf(starts_on=""), "starts_on", "Enter a date.", TF_TYPED),
    "name too long": Bad(_tf(name=LONG), "name", "100", {**TF_TYPED, "name": LONG}),
    "goal too long": Bad(_tf(goal="y" * 2001), "goal", "2000", {"name": "Inclusive finance"}),
    "malformed start": Bad(
        _tf(starts_on="2026-13-45"),
        "starts_on",
        "Not a valid date",
        {**TF_TYPED, "starts_on": "2026-13-45"},
    ),
    "end before start": Bad(
        _tf(ends_on="2025-12-31"),
        "ends_on",
        "The end must not be before the start.",
        {**TF_TYPED, "starts_on": "2026-01-01", "ends_on": "2025-12-31"},
    ),
    "leader not a number": Bad(_tf(leader_id="abc"), "leader_id", "Invalid Choice", TF_TYPED),
    "name taken": Bad(
        _tf(name="Existing task force"),
        "name",
        "A task force with this name exists.",
        {**TF_TYPED, "name": "Existing task force"},
    ),
}


@pytest.mark.parametrize("case", TASK_FORCE_CASES.values(), ids=TASK_FORCE_CASES.keys())
def test_task_force_creation_refuses_bad_input(admin_client, look, case):
    with look():
        make_task_force("Existing task force")
    submit_and_expect_refusal(admin_client, look, "/admin/task-forces/new", case)


def test_task_force_creation_refuses_a_deactivated_leader(admin_client, look):
    with look():
        gone = make_user("gone", active=False).id
    case = Bad(_tf(leader_id=str(gone)), "leader_id", "Not a valid choice", TF_TYPED)
    submit_and_expect_refusal(admin_client, look, "/admin/task-forces/new", case)


# --- org units -----------------------------------------------------------------------------


UNIT = {"name": "Harbin branch", "kind": "branch", "parent_id": "", "sort_order": "0"}


def _unit(**changes):
    return {**UNIT, **changes}


ORG_UNIT_CASES = {
    "no name": Bad(_unit(name=""), "name", "required"),
    "name too long": Bad(_unit(name=LONG), "name", "100", {"name": LONG}),
    "unknown kind": Bad(_unit(kind="planet"), "kind", "Not a valid choice", {"name": UNIT["name"]}),
    "parent not a number": Bad(
        _unit(parent_id="abc"), "parent_id", "Invalid Choice", {"name": UNIT["name"]}
    ),
    "unknown parent": Bad(
        _unit(parent_id="999999"), "parent_id", "Not a valid choice", {"name": UNIT["name"]}
    ),
    "order not a number": Bad(
        _unit(sort_order="first"),
        "sort_order",
        "Not a valid integer",
        {"name": UNIT["name"], "sort_order": "first"},
    ),
    "negative order": Bad(
        _unit(sort_order="-1"), "sort_order", "0", {"name": UNIT["name"], "sort_order": "-1"}
    ),
}


@pytest.mark.parametrize("case", ORG_UNIT_CASES.values(), ids=ORG_UNIT_CASES.keys())
def test_org_unit_creation_refuses_bad_input(admin_client, look, case):
    with look():
        make_org_unit("Head office", kind="hq_department")
    submit_and_expect_refusal(admin_client, look, "/admin/org-units/new", case)


# --- roster --------------------------------------------------------------------------------


def _member(newcomer_id, **changes):
    return {
        "user_id": str(newcomer_id),
        "role": "member",
        "org_unit_id": "",
        "joined_on": "",
        "ends_on": "",
        "note": "",
        **changes,
    }


def _member_cases(newcomer: int, member: int) -> dict[str, Bad]:
    today = clock.today()
    yesterday = (today - timedelta(days=1)).isoformat()
    picked = {"user_id": str(newcomer)}
    return {
        "nobody chosen": Bad(
            _member("", note="from Harbin"), "user_id", "required", {"note": "from Harbin"}
        ),
        "person not a number": Bad(_member("abc"), "user_id", "Invalid Choice"),
        "person unknown": Bad(_member(999999), "user_id", "Not a valid choice"),
        "unknown role": Bad(_member(newcomer, role="boss"), "role", "Not a valid choice", picked),
        "temporary member without end date": Bad(
            _member(newcomer, role="temp_member", note="for the pilot"),
            "ends_on",
            "A temporary member needs an end date.",
            {**picked, "role": "temp_member", "note": "for the pilot"},
        ),
        "end before start": Bad(
            _member(newcomer, role="temp_member", joined_on=today.isoformat(), ends_on=yesterday),
            "ends_on",
            "The end must not be before the start.",
            {**picked, "role": "temp_member", "ends_on": yesterday},
        ),
        "malformed date": Bad(
            _member(newcomer, joined_on="next monday"),
            "joined_on",
            "Not a valid date",
            {**picked, "joined_on": "next monday"},
        ),
        "note too long": Bad(_member(newcomer, note=LONG), "note", "200", {**picked, "note": LONG}),
        "already on the roster": Bad(
            _member(member), "user_id", "is already on the roster", {"user_id": str(member)}
        ),
    }


@pytest.mark.parametrize("name", list(_member_cases(0, 0)))
def test_member_add_form_refuses_bad_input(client, look, roster_setup, name):
    case = _member_cases(_user_id(look, "newcomer"), _user_id(look, "ming"))[name]
    submit_and_expect_refusal(client, look, "/roster/add", case)


def _role_cases() -> dict[str, Bad]:
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    return {
        "unknown role": Bad({"role": "boss", "ends_on": ""}, "role", "Not a valid choice"),
        "same role": Bad({"role": "member", "ends_on": ""}, "role", "Nothing to change."),
        "temporary member without end date": Bad(
            {"role": "temp_member", "ends_on": ""},
            "ends_on",
            "A temporary member needs an end date.",
            {"role": "temp_member"},
        ),
        "end in the past": Bad(
            {"role": "temp_member", "ends_on": yesterday},
            "ends_on",
            "The end must not be before the start.",
            {"role": "temp_member", "ends_on": yesterday},
        ),
        "malformed date": Bad(
            {"role": "temp_member", "ends_on": "31/02/2026"},
            "ends_on",
            "Not a valid date",
            {"role": "temp_member", "ends_on": "31/02/2026"},
        ),
    }


@pytest.mark.parametrize("name", list(_role_cases()))
def test_role_change_form_refuses_bad_input(client, look, roster_setup, name):
    url = f"/roster/{roster_setup['membership']}/role"
    submit_and_expect_refusal(client, look, url, _role_cases()[name])
    with look():
        membership = db.session.get(Membership, roster_setup["membership"])
        assert (membership.role, membership.left_on) == (MEMBER, None)
