"""The activity stream (动态) and the feed of what I follow, as each role reads them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.activity import service
from app.core import audit, clock
from app.core.models import AuditEvent
from app.core.scope import unscoped
from app.decisions.models import Escalation
from app.extensions import db
from app.intake.models import Submission
from app.issues.models import Issue
from app.kpis.models import Kpi
from app.meetings.models import Meeting
from app.people.models import User
from tests import factories

ISSUE_TITLE = "现金管理类产品归集与支付"
OTHER_TITLE = "对公存款营销"
SUBMISSION_TITLE = "理财产品起购金额偏高，客户难以尝试"
KPI_RECORD = "「非存AUM」"  # the goal figure's entry (the task force's name holds 非存AUM)


def _user(world, persona: str) -> User:
    return db.session.get(User, world.users[persona])


def _record(actor: User, action: str, entity, changes=None, summary="", minutes=0) -> None:
    event = audit.record(actor, action, entity, changes, summary)
    event.at = clock.now() - timedelta(minutes=minutes)


def _events(app, world) -> None:
    """One event of each kind a member meets, oldest first, and one of the other task
    force (by the stranger, on its item)."""
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        escalation = db.session.get(Escalation, world.ids["escalation"])
        meeting = db.session.get(Meeting, world.ids["meeting"])
        submission = db.session.get(Submission, world.ids["submission"])
        kpi = db.session.get(Kpi, world.ids["kpi"])
        other = db.session.get(Issue, world.other_issue_id)
        _record(_user(world, "frontline"), "submitted", submission, minutes=60)
        _record(_user(world, "leader"), "created", kpi, {"name": [None, kpi.name]}, minutes=50)
        _record(_user(world, "member"), "raised", escalation, minutes=40)
        _record(
            _user(world, "member"),
            "status_changed",
            issue,
            {"status": ["in_progress", "verifying"]},
            minutes=30,
        )
        _record(
            _user(world, "leader"), "held", meeting, {"status": ["planned", "held"]}, minutes=20
        )
        stranger = db.session.scalar(db.select(User).where(User.username == "stranger"))
        _record(stranger, "progress", other, {"progress": [10, 20]}, "进展顺利", minutes=10)
        db.session.commit()


def _login(client, persona: str):
    client.post("/login", data={"login": persona, "password": factories.PASSWORD})


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" data-testid="activity-link"', html)


# --- who sees what -------------------------------------------------------------------------


def test_the_leader_sees_the_task_force_newest_first_and_nothing_of_another(app, world, client):
    _events(app, world)
    _login(client, "leader")
    html = client.get("/activity").get_data(as_text=True)
    assert html.count('data-testid="activity-entry"') == 5
    order = [html.index(text) for text in ("月度工作推进交流会", ISSUE_TITLE, KPI_RECORD)]
    assert order == sorted(order)  # the meeting (newest) first
    assert SUBMISSION_TITLE in html  # the leaders triage submissions
    assert OTHER_TITLE not in html
    assert "status_changed" not in html and "in_progress" not in html
    assert "推进中 → 待验收" in html


@pytest.mark.parametrize("persona", ["member", "temp_member", "viewer", "exec_leader"])
def test_members_and_viewers_see_what_their_role_may_open(app, world, client, persona):
    _events(app, world)
    _login(client, persona)
    html = client.get("/activity").get_data(as_text=True)
    assert ISSUE_TITLE in html and "月度工作推进交流会" in html
    assert OTHER_TITLE not in html
    # A submission's page is the leaders' (intake.triage): only they see its entries.
    assert (SUBMISSION_TITLE in html) is (persona == "exec_leader")


@pytest.mark.parametrize("persona", ["frontline", "outsider", "expired_temp", "admin"])
def test_who_is_not_on_the_task_force_has_no_stream(app, world, client, persona):
    _events(app, world)
    _login(client, persona)
    assert client.get("/activity").status_code in (403, 404)
    assert client.get("/activity/following").status_code in (403, 404)


def test_frontline_staff_keep_their_submissions_and_no_menu_entry(app, world, client):
    _login(client, "frontline")
    html = client.get("/intake/mine").get_data(as_text=True)
    assert "/activity" not in html
    member = app.test_client()
    _login(member, "member")
    assert 'href="/activity"' in member.get("/my").get_data(as_text=True)


# --- filters and pages -----------------------------------------------------------------------


def test_filters_by_person_kind_and_dimension(app, world, client):
    _events(app, world)
    with app.app_context(), unscoped():
        dimension = factories.make_category(world.task_force_id, "渠道端", prefix="QD")
        elsewhere = factories.make_issue(dimension, "网点转型滞后", owner_id=world.users["member"])
        _record(_user(world, "leader"), "acknowledged", elsewhere)
        db.session.commit()
        dimension_id = dimension.id
    _login(client, "leader")

    def entries(query: str) -> str:
        return client.get("/activity?" + query).get_data(as_text=True)

    mine = entries(f"who={world.users['member']}")
    assert mine.count('data-testid="activity-entry"') == 2  # the escalation, the status
    meetings = entries("kind=meetings")
    assert meetings.count('data-testid="activity-entry"') == 1 and "月度工作推进交流会" in meetings
    decisions = entries("kind=decisions")
    assert decisions.count('data-testid="activity-entry"') == 1
    first = entries(f"dimension={world.category_id}")
    assert ISSUE_TITLE in first and "网点转型滞后" not in first and KPI_RECORD not in first
    assert "归集产品是否先在长春分行试点" in first  # the item's escalation is of its dimension
    second = entries(f"dimension={dimension_id}")
    assert "网点转型滞后" in second and ISSUE_TITLE not in second
    # Nonsense is ignored, not an error.
    assert client.get("/activity?who=abc&kind=nope&dimension=-1&page=x").status_code == 200


def test_escalated_items_read_as_decisions_not_as_items(app, world):
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        _record(_user(world, "member"), "escalated", issue)
        _record(_user(world, "member"), "acknowledged", issue)
        db.session.commit()
        leader = _user(world, "leader")
        for group, action in (("decisions", "escalated"), ("items", "acknowledged")):
            condition = service.stream_condition(
                leader, world.task_force_id, service.Filters(group=group)
            )
            actions = db.session.scalars(db.select(AuditEvent.action).where(condition)).all()
            assert actions == [action]


def test_pages_keep_the_filters(app, world, client, monkeypatch):
    monkeypatch.setattr(service, "PER_PAGE", 3)
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        for i in range(7):
            _record(_user(world, "member"), "progress", issue, {"progress": [i, i + 1]}, minutes=i)
        _record(_user(world, "leader"), "acknowledged", issue)
        db.session.commit()
    _login(client, "viewer")
    query = f"who={world.users['member']}&kind=items"
    first = client.get("/activity?" + query).get_data(as_text=True)
    assert first.count('data-testid="activity-entry"') == 3
    older = re.search(r'href="([^"]+)">(?:较早|Older)</a>', first).group(1).replace("&amp;", "&")
    assert "page=2" in older and f"who={world.users['member']}" in older and "kind=items" in older
    third = client.get(f"/activity?{query}&page=3").get_data(as_text=True)
    assert third.count('data-testid="activity-entry"') == 1
    assert 'rel="next"' not in third and 'rel="prev"' in third
    # A page past the end shows the last one.
    past = client.get(f"/activity?{query}&page=99999999999999999999").get_data(as_text=True)
    assert past.count('data-testid="activity-entry"') == 1


# --- the feed and two task forces -------------------------------------------------------------


def _on_both(app, world) -> None:
    """ "member" joins the second task force and works on its item there."""
    with app.app_context(), unscoped():
        member = _user(world, "member")
        other_tf = db.session.get(factories.TaskForce, world.other_task_force_id)
        factories.make_membership(member, other_tf, "member")
        other = db.session.get(Issue, world.other_issue_id)
        other.collaborators = [member]
        db.session.commit()


def test_a_member_of_two_task_forces(app, world, client):
    _on_both(app, world)
    _events(app, world)
    _login(client, "member")
    client.post(f"/switch/{world.task_force_id}")
    stream = client.get("/activity").get_data(as_text=True)
    assert ISSUE_TITLE in stream and OTHER_TITLE not in stream
    feed = client.get("/activity/following").get_data(as_text=True)
    # What I follow: my item, its escalation, my meeting, and the item I help on elsewhere;
    # not the goal figure, which I do not follow.
    assert ISSUE_TITLE in feed and OTHER_TITLE in feed and "月度工作推进交流会" in feed
    assert "归集产品是否先在长春分行试点" in feed and KPI_RECORD not in feed
    assert feed.count('data-testid="activity-task-force"') == 4
    assert "普惠金融攻坚小组" in feed
    links = _links(feed)
    elsewhere = [link for link in links if f"tf={world.other_task_force_id}" in link]
    assert elsewhere == [f"/issues/{world.other_issue_id}?tf={world.other_task_force_id}"]
    # Following it switches to the other task force and opens the item.
    response = client.get(elsewhere[0], follow_redirects=True)
    assert response.status_code == 200 and OTHER_TITLE in response.get_data(as_text=True)
    # Now the stream is the other task force's.
    stream = client.get("/activity").get_data(as_text=True)
    assert OTHER_TITLE in stream and ISSUE_TITLE not in stream


def test_the_feed_of_one_task_force_names_none(app, world, client):
    _events(app, world)
    _login(client, "temp_member")
    feed = client.get("/activity/following").get_data(as_text=True)
    assert ISSUE_TITLE in feed  # a collaborator follows the item
    assert "月度工作推进交流会" not in feed  # not invited
    assert 'data-testid="activity-task-force"' not in feed


def test_the_feed_follows_what_one_chose_and_drops_what_one_stopped(app, world, client):
    from app.discussion.following import set_following

    _events(app, world)
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        meeting = db.session.get(Meeting, world.ids["meeting"])
        # The viewer chooses to follow the item; its collaborator stops following it.
        set_following(_user(world, "viewer"), issue, True)
        set_following(_user(world, "temp_member"), issue, False)
        set_following(_user(world, "temp_member"), meeting, True)
        db.session.commit()
    _login(client, "viewer")
    assert ISSUE_TITLE in client.get("/activity/following").get_data(as_text=True)
    client.post("/logout")
    _login(client, "temp_member")
    feed = client.get("/activity/following").get_data(as_text=True)
    assert ISSUE_TITLE not in feed and "月度工作推进交流会" in feed


# --- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "member", "temp_member", "viewer"])
def test_every_link_opens_as_that_reader(app, world, client, persona):
    _on_both(app, world)
    _events(app, world)
    with app.app_context(), unscoped():
        gone = Issue(
            task_force_id=world.task_force_id,
            code="X-1",
            title="已删除",
            category_id=world.category_id,
        )
        db.session.add(gone)
        db.session.flush()
        _record(_user(world, "leader"), "created", gone)
        db.session.delete(gone)
        db.session.commit()
    _login(client, persona)
    for page in ("/activity", "/activity/following"):
        client.post(f"/switch/{world.task_force_id}")
        html = client.get(page).get_data(as_text=True)
        links = _links(html)
        if page == "/activity":  # every entry links, but the deleted item's
            assert len(links) == html.count('data-testid="activity-entry"') - 1 > 0
        for link in links:
            client.post(f"/switch/{world.task_force_id}")
            assert client.get(link, follow_redirects=True).status_code == 200, (page, link)
    client.post(f"/switch/{world.task_force_id}")
    stream = client.get("/activity").get_data(as_text=True)
    assert stream.count("（已不存在）") == 1  # no link to a 404


# --- speed -------------------------------------------------------------------------------------


def _grow(app, world, n: int) -> None:
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        meeting = db.session.get(Meeting, world.ids["meeting"])
        escalation = db.session.get(Escalation, world.ids["escalation"])
        leader, member = _user(world, "leader"), _user(world, "member")
        for i in range(n):
            _record(
                member, "progress", issue, {"progress": [i, i + 1], "owner_id": [None, member.id]}
            )
            _record(leader, "moved", meeting, {"starts_at": [None, clock.now().isoformat()]})
            _record(member, "raised", escalation)
        db.session.commit()


@pytest.mark.parametrize("page", ["/activity", "/activity/following", "/activity?kind=items"])
def test_the_query_count_does_not_grow_with_the_page(app, world, page, monkeypatch):
    monkeypatch.setattr(service, "PER_PAGE", 10)

    def count() -> int:
        client = app.test_client()
        _login(client, "member")
        response = client.get(page)
        assert response.status_code == 200
        return int(response.headers["X-Query-Count"])

    _grow(app, world, 1)
    count()  # the filter's people, the task force's setup, are kept from now on
    few = count()
    _grow(app, world, 12)
    assert count() == few


@pytest.mark.parametrize("persona", ["leader", "viewer"])
def test_the_battle_map_links_to_the_stream(app, world, client, persona):
    _login(client, persona)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="activity-link-home"' in html and 'href="/activity"' in html
