"""The right task force everywhere: links carry their task force, login lands where one
left off, and the notification centre says which task force each message is about."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.core import audit, outbox
from app.core.links import in_task_force
from app.core.models import Notification
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.extensions import db
from app.people.models import User
from tests import factories

WEALTH = "非存AUM攻坚克难小组"
DEPOSITS = "对公存款攻坚小组"


@pytest.fixture
def two(app):
    """刘洋 on two task forces (member of both); an item on each; 孙浩 on the first only."""
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        wealth = factories.make_task_force(WEALTH)
        deposits = factories.make_task_force(DEPOSITS)
        closed = factories.make_task_force("已归档小组")
        liuyang = factories.make_user("liuyang", display_name="刘洋")
        sunhao = factories.make_user("sunhao", display_name="孙浩")
        factories.make_membership(liuyang, wealth, MEMBER)
        factories.make_membership(liuyang, deposits, EXEC_LEADER)
        factories.make_membership(sunhao, wealth, LEADER)
        factories.make_membership(liuyang, closed, MEMBER)
        closed.archived_at = closed.created_at
        db.session.commit()
        on_wealth = factories.make_issue(
            factories.make_category(wealth.id, "客户端", prefix="KH"), "代销保险上架慢"
        )
        on_deposits = factories.make_issue(
            factories.make_category(deposits.id, "客户拓展", prefix="KT"), "结算户流失"
        )
        return SimpleNamespace(
            wealth=wealth.id,
            deposits=deposits.id,
            closed=closed.id,
            liuyang=liuyang.id,
            sunhao=sunhao.id,
            wealth_issue=on_wealth.id,
            deposits_issue=on_deposits.id,
        )


def current_of(look, user_id: int) -> int | None:
    with look():
        return db.session.get(User, user_id).current_task_force_id


def switch(client, task_force_id: int) -> None:
    """Switch by the menu, and read the page it leads to (and its message)."""
    assert client.post(f"/switch/{task_force_id}", follow_redirects=True).status_code == 200


# --- the links ---------------------------------------------------------------------------


def test_a_link_names_its_task_force_before_any_fragment_and_keeps_its_query():
    assert in_task_force("/issues/7", 3) == "/issues/7?tf=3"
    assert in_task_force("/meetings/2#agenda", 3) == "/meetings/2?tf=3#agenda"
    assert in_task_force("/issues?light=red&tf=9", 3) == "/issues?light=red&tf=3"
    # Nothing to say: the current task force, no task force, another site, no link.
    assert in_task_force("/issues/7", 3, current=3) == "/issues/7"
    assert in_task_force("/account/password", None) == "/account/password"
    assert in_task_force("https://example.test/x", 3) == "https://example.test/x"
    assert in_task_force("//evil.example/x", 3) == "//evil.example/x"
    assert in_task_force(None, 3) is None


def test_a_link_of_the_other_task_force_opens_the_item_there(client, auth, look, two):
    auth.login("liuyang")
    switch(client, two.wealth)
    assert client.get(f"/issues/{two.deposits_issue}").status_code == 404

    response = client.get(f"/issues/{two.deposits_issue}?tf={two.deposits}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/issues/{two.deposits_issue}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "结算户流失" in html
    assert f"已切换至 {DEPOSITS}" in html
    # The switch is kept: the next page and the next login are in that task force.
    assert current_of(look, two.liuyang) == two.deposits


def test_following_a_link_keeps_the_rest_of_the_address(client, auth, two):
    auth.login("liuyang")
    switch(client, two.deposits)
    response = client.get(f"/issues?light=red&tf={two.wealth}&owner=3")
    assert response.headers["Location"] == "/issues?light=red&owner=3"


def test_a_link_of_the_current_task_force_just_drops_the_parameter(client, auth, look, two):
    auth.login("liuyang")
    switch(client, two.wealth)
    response = client.get(f"/issues/{two.wealth_issue}?tf={two.wealth}")
    assert response.headers["Location"] == f"/issues/{two.wealth_issue}"
    assert "已切换至" not in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("which", ["deposits", "closed", "nonsense"])
def test_a_link_of_a_task_force_one_is_not_on_changes_nothing(client, auth, look, two, which):
    """孙浩 is on the wealth task force only; the deposits item stays out of his reach."""
    auth.login("sunhao")
    wanted = getattr(two, which, "abc")
    response = client.get(f"/issues/{two.deposits_issue}?tf={wanted}")
    assert response.headers["Location"] == f"/issues/{two.deposits_issue}"
    assert client.get(response.headers["Location"]).status_code == 404
    assert current_of(look, two.sunhao) == two.wealth


def test_an_archived_task_force_is_not_entered_by_a_link(client, auth, look, two):
    auth.login("liuyang")
    switch(client, two.wealth)
    client.get(f"/?tf={two.closed}")
    assert current_of(look, two.liuyang) == two.wealth


def test_a_form_of_another_task_force_s_item_acts_there(client, auth, look, two):
    """A button on a list across task forces (acknowledge, on "My items") posts to its
    item's task force: the reader is switched there and the action is done."""
    with look():
        issue = db.session.get(factories.Issue, two.deposits_issue)
        issue.owner_id = two.liuyang
        db.session.commit()
    auth.login("liuyang")
    switch(client, two.wealth)
    acknowledge = f"/issues/{two.deposits_issue}/acknowledge"
    assert client.post(acknowledge).status_code == 404

    response = client.post(f"{acknowledge}?tf={two.deposits}")

    assert response.headers["Location"] == f"/issues/{two.deposits_issue}"
    assert client.get(response.headers["Location"]).status_code == 200
    assert current_of(look, two.liuyang) == two.deposits
    with look():
        assert db.session.get(factories.Issue, two.deposits_issue).acknowledged_at is not None


def test_a_refused_form_naming_a_task_force_still_switches_there(client, auth, look, two):
    """The switch is its own unit of work: the refusal rolls back the form's work only."""
    auth.login("liuyang")
    switch(client, two.wealth)
    # Not the owner (not yet acknowledged by its owner): the acknowledgement is refused.
    response = client.post(f"/issues/{two.deposits_issue}/acknowledge?tf={two.deposits}")
    assert response.status_code in (302, 403, 409)
    assert current_of(look, two.liuyang) == two.deposits
    with look():
        assert db.session.get(factories.Issue, two.deposits_issue).acknowledged_at is None


def test_a_form_naming_a_task_force_one_is_not_on_is_refused_as_before(client, auth, look, two):
    auth.login("sunhao")
    response = client.post(f"/issues/{two.deposits_issue}/acknowledge?tf={two.deposits}")
    assert response.status_code == 404
    assert current_of(look, two.sunhao) == two.wealth


def test_a_link_opened_before_login_leads_there_after_login(client, look, two):
    target = f"/issues/{two.deposits_issue}?tf={two.deposits}"
    response = client.get(target)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login = client.post(
        "/login",
        data={"login": "liuyang", "password": factories.PASSWORD, "next": target},
    )
    assert login.headers["Location"] == target
    landed = client.get(target, follow_redirects=True)
    assert landed.status_code == 200 and "结算户流失" in landed.get_data(as_text=True)


# --- where one lands after login --------------------------------------------------------


def _worked_in(look, user_id: int, task_force_id: int, issue_id: int) -> None:
    with look():
        user = db.session.get(User, user_id)
        issue = db.session.get(factories.Issue, issue_id)
        audit.record(user, "updated", issue, {"title": ["a", "b"]}, task_force_id=task_force_id)
        db.session.commit()


def test_login_lands_in_the_task_force_last_worked_in(client, auth, look, two):
    # Executive leader of the deposits task force, member of the wealth one: without a
    # choice the role would win; the last work done decides.
    _worked_in(look, two.liuyang, two.deposits, two.deposits_issue)
    _worked_in(look, two.liuyang, two.wealth, two.wealth_issue)
    auth.login("liuyang")
    assert current_of(look, two.liuyang) == two.wealth
    assert WEALTH in client.get("/task-force").get_data(as_text=True)


def test_with_no_work_yet_one_lands_where_one_carries_most_responsibility(client, auth, look, two):
    auth.login("liuyang")
    assert current_of(look, two.liuyang) == two.deposits


def test_the_task_force_one_left_off_in_is_kept_across_logins(client, auth, look, two):
    _worked_in(look, two.liuyang, two.wealth, two.wealth_issue)
    auth.login("liuyang")
    switch(client, two.deposits)
    auth.logout()
    # Work recorded in the wealth task force later (from another session, say) does not
    # undo the choice: the one they chose last is where they left off.
    _worked_in(look, two.liuyang, two.wealth, two.wealth_issue)
    auth.login("liuyang")
    assert current_of(look, two.liuyang) == two.deposits
    assert DEPOSITS in client.get("/task-force").get_data(as_text=True)


# --- the notification centre ------------------------------------------------------------


def _tell(look, two) -> None:
    with look():
        for tf, issue, text in (
            (two.wealth, two.wealth_issue, "请更新代销保险进度"),
            (two.deposits, two.deposits_issue, "请确认结算户流失"),
        ):
            outbox.notify(
                two.liuyang,
                "nudge",
                text,
                unique_key=f"t:{issue}",
                link=f"/issues/{issue}",
                task_force_id=tf,
            )
        db.session.commit()


def test_the_notification_centre_names_each_message_s_task_force(client, auth, two, look):
    _tell(look, two)
    auth.login("liuyang")
    switch(client, two.wealth)
    html = client.get("/notifications").get_data(as_text=True)
    assert html.count('data-testid="notification-task-force"') == 2
    assert WEALTH in html and DEPOSITS in html
    # Each link says where it goes, the current task force's too: the page may still be
    # open when its reader has switched.
    assert f'href="/issues/{two.deposits_issue}?tf={two.deposits}"' in html
    assert f'href="/issues/{two.wealth_issue}?tf={two.wealth}"' in html


def test_a_person_on_one_task_force_gets_plain_links(client, auth, two, look):
    with look():
        outbox.notify(
            two.sunhao, "nudge", "请更新", "s", link="/issues/1", task_force_id=two.wealth
        )
        db.session.commit()
    auth.login("sunhao")
    html = client.get("/notifications").get_data(as_text=True)
    assert 'href="/issues/1"' in html
    assert 'data-testid="notification-task-force"' not in html


def test_every_notification_link_opens_for_a_person_on_two_task_forces(client, auth, look, two):
    _tell(look, two)
    auth.login("liuyang")
    for current in (two.wealth, two.deposits):
        switch(client, current)
        html = client.get("/notifications").get_data(as_text=True)
        for issue in (two.wealth_issue, two.deposits_issue):
            # The page as it was, its links followed one after the other.
            link = html.split(f'href="/issues/{issue}', 1)[1].split('"', 1)[0]
            page = client.get(f"/issues/{issue}{link}", follow_redirects=True)
            assert page.status_code == 200, (current, issue, link)


def test_a_message_about_an_item_belongs_to_the_item_s_task_force(app, two):
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        issue = db.session.get(factories.Issue, two.deposits_issue)
        outbox.notify(two.liuyang, "t", "关于结算户", unique_key="about", subject=issue)
        db.session.commit()
        message = db.session.scalar(select(Notification).where(Notification.unique_key == "about"))
        assert message.task_force_id == two.deposits


def test_an_administrator_follows_a_link_into_any_open_task_force(client, auth, look, two):
    with look():
        factories.make_user("root", role="admin")
    auth.login("root")
    page = client.get(f"/issues/{two.deposits_issue}?tf={two.deposits}", follow_redirects=True)
    assert page.status_code == 200 and "结算户流失" in page.get_data(as_text=True)
    with look():
        root = db.session.scalar(select(User).where(User.username == "root"))
        assert root.current_task_force_id == two.deposits
