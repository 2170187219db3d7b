"""The pilots' pages over HTTP: forms, refusals, another task force's ids, query counts."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import OrgUnit
from app.pilots.models import Pilot, PilotEvidence, RolloutChange, RolloutTask, pilot_unit


def test_a_leader_creates_a_pilot_through_the_form(world, login, look):
    client = login("leader")
    assert client.get("/pilots/new").status_code == 200
    response = client.post(
        "/pilots/new",
        data={
            "name": "吉林分行财富中心试点",
            "measure": "私行中心独立运营",
            "owner_id": world.users["member"],
            "unit_ids": [world.org_unit_id],
            "issue_ids": [world.issue_id],
        },
    )
    assert response.status_code == 302
    with look():
        pilot = db.session.scalar(select(Pilot).where(Pilot.name == "吉林分行财富中心试点"))
        assert [u.id for u in pilot.units] == [world.org_unit_id]
        assert [i.id for i in pilot.issues] == [world.issue_id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "私行中心独立运营" in page
    # The linked item's page shows the pilot.
    assert "吉林分行财富中心试点" in client.get(f"/issues/{world.issue_id}").get_data(as_text=True)


def test_the_form_keeps_input_and_names_the_field_on_error(world, login):
    client = login("leader")
    response = client.post("/pilots/new", data={"name": "", "measure": "保留的文字"})
    assert response.status_code == 400
    assert "保留的文字" in response.get_data(as_text=True)


def test_members_may_not_create_or_decide(world, login):
    client = login("member")
    assert client.get("/pilots/new").status_code == 403
    response = client.post(
        f"/pilots/{world.ids['pilot']}/decision", data={"outcome": "stop", "rationale": "x"}
    )
    assert response.status_code == 403


def test_another_task_forces_pilot_is_not_found(world, login, look):
    with look():
        other = Pilot(task_force_id=world.other_task_force_id, name="别组试点")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    client = login("leader")
    assert client.get(f"/pilots/{other_id}").status_code == 404
    assert client.post(f"/pilots/{other_id}/stage", data={"target": "running"}).status_code == 404


def test_the_rollout_owner_marks_their_unit_done(world, login, look):
    client = login("temp_member")
    with look():
        task = db.session.get(RolloutTask, world.ids["rollout"])
        version = task.version
    response = client.post(
        f"/rollout-tasks/{world.ids['rollout']}",
        data={"status": "done", "version": version, "notes": "已挂牌"},
    )
    assert response.status_code == 302
    with look():
        task = db.session.get(RolloutTask, world.ids["rollout"])
        assert task.status == "done" and task.notes == "已挂牌"
        assert (
            db.session.scalar(
                select(func.count(RolloutChange.id)).where(RolloutChange.rollout_task_id == task.id)
            )
            == 2
        )
    page = client.get(f"/pilots/{world.ids['pilot']}").get_data(as_text=True)
    assert "2/2 · 100%" in page


def test_evidence_files_are_attached_and_read_back(world, login, look):
    client = login("member")
    response = client.post(
        f"/pilots/{world.ids['pilot']}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4 minutes"), "复盘会纪要.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with look():
        evidence = db.session.scalar(
            select(PilotEvidence).where(PilotEvidence.filename == "复盘会纪要.pdf")
        )
        evidence_id = evidence.id
    download = login("viewer").get(f"/pilot-evidence/{evidence_id}", buffered=True)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 minutes"
    refused = client.post(
        f"/pilots/{world.ids['pilot']}/evidence",
        data={"file": (io.BytesIO(b"MZ..."), "tool.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400


def _grow(app, world, n: int) -> None:
    """Add ``n`` pilots, each with a site, two rollout tasks, and history."""
    from tests.pilots.conftest import TODAY  # noqa: F401  (the fixed day is set)

    with app.app_context():
        from app.core.scope import unscoped

        with unscoped():
            units = [OrgUnit(name=f"机构{i}", kind="branch") for i in range(2 * n)]
            db.session.add_all(units)
            db.session.flush()
            for i in range(n):
                pilot = Pilot(
                    task_force_id=world.task_force_id,
                    name=f"试点{i}",
                    status="rolling_out",
                    decision="roll_out",
                    owner_id=world.users["member"],
                )
                db.session.add(pilot)
                db.session.flush()
                db.session.execute(
                    pilot_unit.insert().values(pilot_id=pilot.id, org_unit_id=units[i].id)
                )
                for unit in (units[i], units[n + i]):
                    task = RolloutTask(
                        task_force_id=world.task_force_id,
                        pilot_id=world.ids["pilot"] if i % 2 else pilot.id,
                        org_unit_id=unit.id,
                        status="in_progress",
                        owner_id=world.users["temp_member"],
                    )
                    db.session.add(task)
                    db.session.flush()
                    db.session.add(
                        RolloutChange(
                            task_force_id=world.task_force_id,
                            pilot_id=task.pilot_id,
                            rollout_task_id=task.id,
                            status="in_progress",
                            changed_on=TODAY,
                        )
                    )
            db.session.commit()
        db.session.remove()


PAGES = ["/pilots", "/pilots/matrix", "/pilots/{pilot}", "/pilots/{pilot}/edit", "/my"]


def _counts(login, world, persona="leader") -> dict[str, int]:
    client = login(persona)
    counts = {}
    for page in PAGES:
        url = page.format(pilot=world.ids["pilot"])
        response = client.get(url)
        assert response.status_code == 200, url
        counts[page] = int(response.headers["X-Query-Count"])
    return counts


@pytest.mark.parametrize("persona", ["leader", "temp_member"])
def test_pages_issue_as_many_queries_for_many_pilots_as_for_few(app, world, login, persona):
    before = _counts(login, world, persona)
    _grow(app, world, 15)
    after = _counts(login, world, persona)
    assert after == before
    assert max(after.values()) <= 12, after
