"""Threads on escalations, pilots and meetings; the item's followers told of a decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.models import Notification
from app.decisions.models import Escalation
from app.discussion.following import followers, set_following
from app.extensions import db
from tests.discussion.conftest import messages


@pytest.mark.parametrize(
    ("kind", "key", "page"),
    [
        ("escalation", "escalation", "/escalations/{}"),
        ("pilot", "pilot", "/pilots/{}"),
        ("meeting", "meeting", "/meetings/{}"),
    ],
)
def test_every_object_has_its_thread_on_its_page(login, world, kind, key, page):
    target = world.ids[key]
    client = login("temp_member")
    response = client.post(f"/threads/{kind}/{target}/comments", data={"body": "@李明远 请看"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(page.format(target) + "?comment=")
    shown = login("viewer").get(page.format(target)).get_data(as_text=True)
    assert f'hx-get="/threads/{kind}/{target}/panel"' in shown
    panel = login("viewer").get(f"/threads/{kind}/{target}/panel").get_data(as_text=True)
    assert 'id="discussion"' in panel and "请看" in panel
    assert (
        login("viewer")
        .post(f"/threads/{kind}/{target}/comments", data={"body": "观察员"})
        .status_code
        == 403
    )


def test_an_unknown_kind_is_not_found(login, world):
    assert login("leader").get(f"/threads/budget/{world.issue_id}").status_code == 404


def test_the_raiser_follows_an_escalation(scoped, world, person):
    escalation = db.session.get(Escalation, world.ids["escalation"])
    assert followers(escalation) == {person("member").id}


def test_a_decision_reaches_the_items_followers_once(scoped, world, person):
    from app.decisions.service.decisions import DecisionInput, decide

    escalation = db.session.get(Escalation, world.ids["escalation"])
    set_following(person("viewer"), escalation.issue, True)
    db.session.commit()
    decide(person("exec_leader"), escalation, DecisionInput(text="先在长春分行试点"))
    db.session.commit()
    about = [m for m in messages(kind="decision")]
    recipients = sorted(m.recipient_id for m in about)
    # 刘洋 raised it and owns the item: told once; 周婷 collaborates; 王芳 follows.
    assert recipients == sorted(
        [person("member").id, person("temp_member").id, person("viewer").id]
    )
    assert person("exec_leader").id not in recipients
    assert db.session.scalar(select(Notification).where(Notification.kind == "decision"))
