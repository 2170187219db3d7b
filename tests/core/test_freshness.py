"""Cached parts of pages never show what was true before a change."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import pytest
from markupsafe import Markup
from sqlalchemy import select, update

from app.core import clock
from app.core.freshness import (
    FragmentCache,
    ReadsUndeclared,
    SharedFragments,
    cache_key,
    restart_versions,
)
from app.core.scope import unscoped
from app.extensions import db
from app.issues import filtering
from app.issues.models import Category, Issue, ProgressUpdate
from app.issues.saved_view_models import SavedView
from app.people.models import Membership, TaskForce, User
from tests import factories
from tests.factories import PASSWORD


class EveryTimeAnotherWorker(FragmentCache):
    """A worker's cache whose own memory is always empty: every read comes from the
    host's shared folder, as when each request lands on another worker."""

    def get_or_build(self, key, build, text=False):
        self.clear_memory()
        return super().get_or_build(key, build, text)

    def clear_memory(self) -> None:
        self._items.clear()


@pytest.fixture(autouse=True, params=["kept per worker", "kept by the host"])
def kept(request, app, tmp_path):
    """Every test here runs twice: with the per-worker cache, and with fragments read
    from the folder the host's workers share."""
    if request.param == "kept per worker":
        yield None
        return
    shared = SharedFragments(tmp_path / "fragments", limit=100)
    before = app.extensions.get("gongjian.fragments")
    app.extensions["gongjian.fragments"] = EveryTimeAnotherWorker(256, shared)
    yield shared
    app.extensions["gongjian.fragments"] = before if before is not None else FragmentCache(256)


def _version(look, task_force_id: int) -> int:
    with look():
        return db.session.get(TaskForce, task_force_id).data_version


def _versions(look) -> dict[int, tuple[int, int]]:
    """Every task force's (data version, setup version)."""
    with look():
        rows = db.session.execute(
            select(TaskForce.id, TaskForce.data_version, TaskForce.setup_version)
        )
        return {tf_id: (data, setup) for tf_id, data, setup in rows}


def _battle_map(app, username: str = "leader") -> str:
    client = app.test_client()
    client.post("/login", data={"login": username, "password": PASSWORD})
    return client.get("/").get_data(as_text=True)


def test_a_change_to_an_item_gives_its_task_force_a_new_version_and_no_other(app, world, look):
    before = _version(look, world.task_force_id)
    other_before = _version(look, world.other_task_force_id)
    with look():
        db.session.get(Issue, world.issue_id).title = "新的标题"
        db.session.commit()
    assert _version(look, world.task_force_id) == before + 1
    assert _version(look, world.other_task_force_id) == other_before


def test_a_rolled_back_change_and_a_login_leave_the_version_alone(app, world, look):
    before = _version(look, world.task_force_id)
    with look():
        db.session.get(Issue, world.issue_id).title = "不会保存"
        db.session.flush()
        db.session.rollback()
    _battle_map(app)  # the login stamps last_login_at
    assert _version(look, world.task_force_id) == before


def test_the_battle_map_shows_a_renamed_owner_at_once(app, world, look):
    with look():
        old_name = db.session.get(User, world.users["member"]).display_name
    assert old_name in _battle_map(app)  # in the owners' table, cached now
    with look():
        db.session.get(User, world.users["member"]).display_name = "改名后的负责人"
        db.session.commit()
    html = _battle_map(app)
    assert "改名后的负责人" in html
    assert f">{old_name}<" not in html


def _owners_table(html: str) -> str:
    return html[html.index('data-testid="owners"') :] if 'data-testid="owners"' in html else html


def test_the_battle_map_reads_the_same_from_the_cache(app, world):
    first = _battle_map(app)
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    response = client.get("/")
    assert _owners_table(response.get_data(as_text=True)) == _owners_table(first)
    assert int(response.headers["X-Query-Count"]) < 8  # no figures computed again


def test_a_restore_moves_every_version_past_anything_cached(app, world, look):
    before = _version(look, world.task_force_id)
    with look():
        restart_versions()
    assert _version(look, world.task_force_id) > before + 1_000_000


def test_list_board_and_my_items_show_a_change_at_once(app, world, look):
    client = app.test_client()
    client.post("/login", data={"login": "member", "password": PASSWORD})
    pages = ["/issues", "/issues?sort=deadline", "/board", "/my", "/schedule"]
    for page in pages:
        assert "现金管理类产品归集与支付" in client.get(page).get_data(as_text=True), page
    with look():
        db.session.get(Issue, world.issue_id).title = "标题已经改了"
        db.session.commit()
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert "标题已经改了" in html and "现金管理类产品归集与支付" not in html, page


def test_my_items_are_not_shared_between_readers(app, world):
    member, leader = app.test_client(), app.test_client()
    member.post("/login", data={"login": "member", "password": PASSWORD})
    leader.post("/login", data={"login": "leader", "password": PASSWORD})
    assert "现金管理类产品归集与支付" in member.get("/my").get_data(as_text=True)
    assert "现金管理类产品归集与支付" not in leader.get("/my").get_data(as_text=True)


def test_an_items_page_shows_a_new_progress_note_at_once(app, world):
    client = app.test_client()
    client.post("/login", data={"login": "member", "password": PASSWORD})
    page = f"/issues/{world.issue_id}"
    first = client.get(page).get_data(as_text=True)
    assert "客户已签约" not in first
    response = client.post(f"{page}/progress", data={"note": "客户已签约", "percent": "60"})
    assert response.status_code in (200, 302)
    html = client.get(page).get_data(as_text=True)
    assert "客户已签约" in html
    assert "<title>" in html and "现金管理类产品归集与支付" in html.split("</title>")[0]


def test_pilots_kpis_categories_and_roster_show_a_change_at_once(app, world, look):
    from app.issues.models import Category
    from app.kpis.models import Kpi
    from app.pilots.models import Pilot

    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    pages = ["/pilots", "/pilots/matrix", "/kpis", "/categories", "/roster"]
    before = {page: client.get(page).get_data(as_text=True) for page in pages}  # kept now
    with look():
        db.session.get(Pilot, world.ids["pilot"]).name = "改名后的试点"
        db.session.get(Kpi, world.ids["kpi"]).name = "改名后的指标"
        db.session.get(Category, world.category_id).name = "改名后的分类"
        db.session.get(User, world.users["member"]).display_name = "改名后的成员"
        db.session.commit()
    expected = {
        "/pilots": "改名后的试点",
        "/pilots/matrix": "改名后的试点",
        "/kpis": "改名后的指标",
        "/categories": "改名后的分类",
        "/roster": "改名后的成员",
    }
    for page, text in expected.items():
        assert text not in before[page], page
        assert text in client.get(page).get_data(as_text=True), page


def test_the_categories_page_is_kept_per_session(app, world):
    leader, viewer = app.test_client(), app.test_client()
    leader.post("/login", data={"login": "leader", "password": PASSWORD})
    viewer.post("/login", data={"login": "viewer", "password": PASSWORD})

    def content(client) -> str:
        return client.get("/categories").get_data(as_text=True).split("<main", 1)[1]

    assert 'name="csrf_token"' in content(leader)  # the leaders' reorder buttons
    assert 'name="csrf_token"' not in content(viewer)


def test_two_sessions_of_one_reader_each_get_their_own_form_token(app, world):
    """A personal page is kept per session: a session without a form token yet gets one
    before the key is made, so two fresh sessions never share the first one's token."""
    import re

    def tokens(client) -> set[str]:
        html = client.get(f"/issues/{world.issue_id}").get_data(as_text=True)
        return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))

    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.post("/login", data={"login": "leader", "password": PASSWORD})
    first_tokens, second_tokens = tokens(first), tokens(second)
    assert first_tokens and second_tokens
    assert not first_tokens & second_tokens


def _counting_build(value: str, counter: list):
    def build():
        counter.append(value)
        return value

    return build


def test_a_fragment_built_by_one_worker_is_read_by_the_other(tmp_path):
    folder = tmp_path / "kept"
    first, second = (FragmentCache(8, SharedFragments(folder, limit=10)) for _ in range(2))
    builds: list = []
    key = ("issues/_list_body.html", 1, 7)
    assert (
        first.get_or_build(key, _counting_build("<p>名单</p>", builds), text=True) == "<p>名单</p>"
    )
    kept = second.get_or_build(key, _counting_build("<p>again</p>", builds), text=True)
    assert kept == "<p>名单</p>" and str(type(kept).__name__) == "Markup"
    assert builds == ["<p>名单</p>"]
    # A new data version is a new key: built afresh, whatever the folder holds.
    second.get_or_build(("issues/_list_body.html", 1, 8), _counting_build("新", builds), text=True)
    assert builds == ["<p>名单</p>", "新"]
    # Values that are not text (a mind map's data) stay in the worker's memory.
    second.get_or_build(("map", 1, 8), _counting_build({"a": 1}, builds))
    assert len(os.listdir(folder)) == 4  # two fragments and their locks


def test_a_second_worker_waits_for_the_first_ones_build(tmp_path):
    folder = tmp_path / "kept"
    first, second = (FragmentCache(8, SharedFragments(folder, limit=10)) for _ in range(2))
    key = ("dashboard/_battle_map_body.html", 1, 3)
    started, release = threading.Event(), threading.Event()
    builds: list = []

    def slow_build():
        builds.append("first")
        started.set()
        release.wait(timeout=30)
        return "<div>作战图</div>"

    results: dict = {}
    builder = threading.Thread(
        target=lambda: results.update(a=first.get_or_build(key, slow_build, text=True))
    )
    builder.start()
    assert started.wait(timeout=30)
    waiter = threading.Thread(
        target=lambda: results.update(
            b=second.get_or_build(key, _counting_build("x", builds), text=True)
        )
    )
    waiter.start()
    release.set()
    builder.join(timeout=30)
    waiter.join(timeout=30)
    assert results == {"a": "<div>作战图</div>", "b": "<div>作战图</div>"}
    assert builds == ["first"]


def test_the_folder_keeps_its_newest_files(tmp_path):
    shared = SharedFragments(tmp_path / "kept", limit=3)
    cache = FragmentCache(8, shared)
    for n in range(6):
        cache.get_or_build(("page", n), lambda n=n: f"<p>{n}</p>", text=True)
        os.utime(shared._path(("page", n)), (1_000_000 + n, 1_000_000 + n))
    shared.prune()
    names = {name for name in os.listdir(tmp_path / "kept") if not name.endswith(".lock")}
    assert names == {shared._path(("page", n)).name for n in (3, 4, 5)}
    assert len(os.listdir(tmp_path / "kept")) == 6  # each kept file with its lock


def test_the_kept_pages_of_a_database_made_anew_are_not_shown(app, world, look):
    """The demo loaded again starts its versions at 1: the task force's birth tells the
    new database's pages from the ones kept of the old database at the same version."""
    version = _version(look, world.task_force_id)
    assert "新库里的负责人" not in _battle_map(app)  # kept at this version
    with look():
        task_force = db.session.get(TaskForce, world.task_force_id)
        task_force.created_at = task_force.created_at.replace(year=task_force.created_at.year - 1)
        db.session.get(User, world.users["member"]).display_name = "新库里的负责人"
        db.session.commit()
        db.session.execute(
            TaskForce.__table__.update()
            .where(TaskForce.__table__.c.id == world.task_force_id)
            .values(data_version=version)
        )
        db.session.commit()
    assert _version(look, world.task_force_id) == version
    assert "新库里的负责人" in _battle_map(app)


def test_a_folder_that_cannot_be_written_leaves_the_pages_served(tmp_path, caplog):
    folder = tmp_path / "kept"
    cache = FragmentCache(8, SharedFragments(folder, limit=10))
    folder.rmdir()  # gone (a disk unmounted, a folder removed by hand)
    builds: list = []
    assert (
        cache.get_or_build(("page", 1), _counting_build("<p>一</p>", builds), text=True)
        == "<p>一</p>"
    )
    assert builds == ["<p>一</p>"] and "fragment folder unusable" in caplog.text


# --- the setup version: what a change to an item leaves kept ------------------------------


def _moved(before: dict, after: dict) -> dict[int, tuple[bool, bool]]:
    """Per task force: (data version moved, setup version moved)."""
    return {tf: (after[tf][0] != before[tf][0], after[tf][1] != before[tf][1]) for tf in before}


def test_a_change_to_an_item_moves_the_data_version_and_not_the_setup(app, world, look):
    before = _versions(look)
    with look():
        db.session.get(Issue, world.issue_id).title = "新的标题"
        db.session.add(
            ProgressUpdate(
                task_force_id=world.task_force_id,
                issue_id=world.issue_id,
                author_id=world.users["member"],
                note="本周推进",
            )
        )
        db.session.commit()
    moved = _moved(before, _versions(look))
    assert moved[world.task_force_id] == (True, False)
    assert moved[world.other_task_force_id] == (False, False)


@pytest.mark.parametrize("change", ["category", "membership", "saved view"])
def test_a_change_to_the_setup_moves_both_versions_of_its_task_force(app, world, look, change):
    before = _versions(look)
    with look():
        if change == "category":
            db.session.get(Category, world.category_id).name = "改名的维度"
        elif change == "membership":
            db.session.get(Membership, world.memberships["member"]).role = "viewer"
        else:
            db.session.add(
                SavedView(
                    task_force_id=world.task_force_id,
                    owner_id=world.users["leader"],
                    namespace=world.users["leader"],
                    name="我的视图",
                    query="sort=deadline",
                )
            )
        db.session.commit()
    moved = _moved(before, _versions(look))
    assert moved[world.task_force_id] == (True, True)
    assert moved[world.other_task_force_id] == (False, False)


def test_a_person_renamed_moves_every_setup(app, world, look):
    before = _versions(look)
    with look():
        db.session.get(User, world.users["member"]).display_name = "改了名字"
        db.session.commit()
    assert set(_moved(before, _versions(look)).values()) == {(True, True)}


def test_bulk_statements_move_the_setups_only_for_setup_tables(app, world, look):
    before = _versions(look)
    with look(), unscoped():
        db.session.execute(update(Issue).where(Issue.id == world.issue_id).values(percent=40))
        db.session.commit()
    after_items = _versions(look)
    assert set(_moved(before, after_items).values()) == {(True, False)}
    with look(), unscoped():
        db.session.execute(
            update(Category).where(Category.id == world.category_id).values(description="新说明")
        )
        db.session.commit()
    assert set(_moved(after_items, _versions(look)).values()) == {(True, True)}


@contextmanager
def _as_leader(app, world, path: str):
    """A request for ``path`` by the leader, in the world's task force."""
    from flask import g
    from flask_login import login_user

    with app.test_request_context(path), unscoped():
        login_user(db.session.get(User, world.users["leader"]))
        g.task_force = db.session.get(TaskForce, world.task_force_id)
        yield


def test_a_setup_part_that_reads_the_items_is_refused(app, world):
    with _as_leader(app, world, "/issues"):
        cache = FragmentCache(16)
        key = ("a setup part", *cache_key(setup=True))
        with pytest.raises(ReadsUndeclared, match="issue"):
            cache.get_or_build(key, lambda: db.session.scalars(select(Issue.id)).all())
        # The setup's own tables are read freely, and a data part reads anything.
        assert cache.get_or_build(key, lambda: db.session.scalars(select(Category.id)).all())
        assert cache.get_or_build(
            ("a data part", *cache_key()), lambda: db.session.scalars(select(Issue.id)).all()
        )


def _filter_forms_made(monkeypatch) -> list[int]:
    made: list[int] = []
    original = filtering.filter_form

    def counted(task_force_id, args=None):
        made.append(task_force_id)
        return original(task_force_id, args)

    monkeypatch.setattr(filtering, "filter_form", counted)
    return made


def test_the_filter_bar_outlives_a_change_to_an_item_and_not_one_to_a_category(
    app, world, look, monkeypatch, kept
):
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    pages = ["/issues", "/board", "/schedule"]
    for page in pages:
        assert client.get(page).status_code == 200
    made = _filter_forms_made(monkeypatch)
    with look():
        db.session.get(Issue, world.issue_id).title = "标题已经改了"
        db.session.commit()
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert "标题已经改了" in html, page  # the items are read afresh
        assert 'data-testid="issue-total"' in html or page != "/issues"
    # The bars were kept (by each worker: a bar is kept with the filter it read, a value
    # the host's folder of text does not hold).
    assert made == ([] if kept is None else [world.task_force_id] * len(pages))
    made.clear()
    with look():
        db.session.add(Category(task_force_id=world.task_force_id, name="新加的维度"))
        db.session.commit()
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert "新加的维度" in html, page  # in the filter's choices at once
    assert len(made) == len(pages)


def test_a_kept_filter_bar_still_counts_the_items_found(app, world, look):
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})

    def total() -> str:
        html = client.get("/issues").get_data(as_text=True)
        start = html.index('data-testid="issue-total"')
        return html[html.index(">", start) + 1 : html.index("<", start)]

    assert total() == "共 1 项"
    with look(), unscoped():
        factories.make_issue(db.session.get(Category, world.category_id), "又一个问题")
        db.session.commit()
    assert total() == "共 2 项"


def test_the_pickers_show_a_new_member_and_a_new_category_at_once(app, world, look):
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    edit = f"/issues/{world.issue_id}/edit"
    for page in (f"/issues/{world.issue_id}", edit):
        assert client.get(page).status_code == 200  # the pickers are kept now
    with look(), unscoped():
        newcomer = factories.make_user("newcomer", display_name="新来的同事")
        factories.make_membership(newcomer, db.session.get(TaskForce, world.task_force_id))
        db.session.add(Category(task_force_id=world.task_force_id, name="新加的维度"))
        db.session.commit()
    assert "新来的同事" in client.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    form = client.get(edit).get_data(as_text=True)
    assert "新来的同事" in form and "新加的维度" in form


# --- parts kept by the tables they read ---------------------------------------------------


def _stamps(look, task_force_id: int) -> tuple[int, dict[str, int]]:
    """A task force's data version and the versions of its tables."""
    with look():
        task_force = db.session.get(TaskForce, task_force_id)
        return task_force.data_version, dict(task_force.table_versions)


def test_a_commit_stamps_the_tables_it_changed_with_the_new_version(app, world, look):
    _, before = _stamps(look, world.task_force_id)
    with look():
        db.session.get(Issue, world.issue_id).title = "新的标题"
        db.session.commit()
    version, after = _stamps(look, world.task_force_id)
    # The title is of the item's heading too (``COLUMN_GROUPS``).
    assert after["issue"] == after["issue:heading"] == version
    changed = ("issue", "issue:heading")
    assert {name: v for name, v in after.items() if name not in changed} == {
        name: v for name, v in before.items() if name not in changed
    }
    # A note moves the item's row, not its heading.
    with look():
        db.session.get(Issue, world.issue_id).last_progress_at = clock.now()
        db.session.commit()
    version, noted = _stamps(look, world.task_force_id)
    assert noted["issue"] == version and noted["issue:heading"] == after["issue:heading"]
    # A collaborator added: the association table changes with the item's row.
    with look():
        issue = db.session.get(Issue, world.issue_id)
        issue.collaborators.append(db.session.get(User, world.users["viewer"]))
        db.session.commit()
    version, after = _stamps(look, world.task_force_id)
    assert after["issue_collaborator"] == after["issue"] == version
    # A person renamed shows on every task force's pages: every one is stamped.
    other_version, _ = _stamps(look, world.other_task_force_id)
    with look():
        db.session.get(User, world.users["member"]).display_name = "改了名的人"
        db.session.commit()
    for task_force_id in (world.task_force_id, world.other_task_force_id):
        version, after = _stamps(look, task_force_id)
        assert after["user"] == version
    assert _stamps(look, world.other_task_force_id)[0] == other_version + 1


def test_a_restore_stamps_every_table(app, world, look):
    with look():
        restart_versions()
    version, after = _stamps(look, world.task_force_id)
    assert after == {"*": version}


def _calls(monkeypatch, name: str, noted=lambda *args: 1) -> list:
    """What each call of the decisions' service ``name`` noted (``noted(*args)``)."""
    from app.decisions import service as decisions

    calls: list = []
    original = getattr(decisions, name)

    def counted(*args):
        calls.append(noted(*args))
        return original(*args)

    monkeypatch.setattr(decisions, name, counted)
    return calls


def _escalations_read(monkeypatch) -> list[int]:
    return _calls(monkeypatch, "escalations_of_issue", lambda issue: issue.id)


def _pending_escalation(world, question: str, due_on, raised_by: str):
    from app.decisions.models import Escalation

    return Escalation(
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        kind="decision",
        level="leader",
        question=question,
        options=[],
        due_on=due_on,
        raised_by_id=world.users[raised_by],
    )


def test_an_items_panels_outlive_a_progress_note_and_not_a_change_of_their_own(
    app, world, look, monkeypatch
):
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    page = f"/issues/{world.issue_id}"
    assert client.get(page).status_code == 200
    read = _escalations_read(monkeypatch)
    response = client.post(f"{page}/progress", data={"note": "客户已签约", "percent": "60"})
    assert response.status_code in (200, 302)
    html = client.get(page).get_data(as_text=True)
    assert "客户已签约" in html  # the item is drawn afresh
    assert 'data-testid="panel-escalations"' in html and read == []  # its panel kept
    with look():
        issue = db.session.get(Issue, world.issue_id)
        db.session.add(_pending_escalation(world, "要不要追加预算", issue.deadline, "leader"))
        db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert "要不要追加预算" in html and read == [world.issue_id]
    # What the panel knows of the item is part of its key: put under supervision, the
    # item's panel shows it at once.
    with look():
        db.session.get(Issue, world.issue_id).supervised = True
        db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="supervision-note"' in html and len(read) == 2


def test_a_part_kept_by_its_tables_that_reads_another_is_refused(app, world):
    from app.core.freshness import kept_part
    from app.decisions.models import Escalation

    with _as_leader(app, world, f"/issues/{world.issue_id}"):

        def reads_items() -> Markup:
            return Markup(len(db.session.scalars(select(Issue.id)).all()))

        with pytest.raises(ReadsUndeclared, match="issue"):
            kept_part("escalations", {"escalation"}, reads_items)
        # Nor may it hold a part kept under the whole data version (it would hide what
        # that part reads), nor one reading more tables than it.
        cache = FragmentCache(16)

        def holds(key) -> Markup:
            return cache.get_or_build(key, reads_items)

        with pytest.raises(ReadsUndeclared, match="every table"):
            kept_part("holds a data part", {"escalation"}, lambda: holds(("data", *cache_key())))
        wider = ("wider", *cache_key(reads={"escalation", "issue"}))
        with pytest.raises(ReadsUndeclared, match="issue"):
            kept_part("holds a wider part", {"escalation"}, lambda: holds(wider))

        # Its own tables are read freely.
        def escalations() -> Markup:
            return Markup(len(db.session.scalars(select(Escalation.id)).all()))

        assert kept_part("escalations", {"escalation"}, escalations) == escalations()


def test_a_part_kept_by_an_items_heading_reads_its_heading_alone(app, world):
    from sqlalchemy.orm import joinedload

    from app.core.freshness import kept_part
    from app.decisions.models import Escalation

    with _as_leader(app, world, "/my"):
        reads = {"escalation", "issue:heading"}

        def codes() -> Markup:
            joined = select(Escalation.id, Issue.code).join(Issue, Issue.id == Escalation.issue_id)
            aliased = select(Escalation).options(
                joinedload(Escalation.issue).load_only(Issue.code, Issue.title)
            )
            rows = db.session.execute(joined).all() + db.session.scalars(aliased).all()
            return Markup(len(rows))

        def statuses() -> Markup:
            joined = select(Escalation.id, Issue.status).join(
                Issue, Issue.id == Escalation.issue_id
            )
            return Markup(len(db.session.execute(joined).all()))

        def whole_items() -> Markup:
            whole = select(Escalation).options(joinedload(Escalation.issue))
            return Markup(len(db.session.scalars(whole).all()))

        assert kept_part("codes", reads, codes) == codes()
        for name, build in (("statuses", statuses), ("whole items", whole_items)):
            with pytest.raises(ReadsUndeclared, match="issue"):
                kept_part(name, reads, build)


def test_my_items_escalations_outlive_a_progress_note_and_not_a_new_title(
    app, world, look, monkeypatch, kept
):
    with look():
        db.session.add(_pending_escalation(world, "要不要追加预算？", clock.today(), "member"))
        db.session.commit()
    read = _calls(monkeypatch, "first_pending_for_person")
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    assert "要不要追加预算" in client.get("/my").get_data(as_text=True) and read == [1]
    note = {"note": "已推进", "percent": "40"}
    response = client.post(f"/issues/{world.issue_id}/progress", data=note)
    assert response.status_code in (200, 302)
    assert "要不要追加预算" in client.get("/my").get_data(as_text=True) and read == [1]
    with look():
        db.session.get(Issue, world.issue_id).code = "GJ-改号"
        db.session.commit()
    assert "GJ-改号" in client.get("/my").get_data(as_text=True) and read == [1, 1]


def test_the_calendars_meetings_outlive_a_progress_note_and_not_a_new_meeting(
    app, world, look, monkeypatch, kept
):
    from app.core import clock, hooks
    from tests.meetings.helpers import make_meeting, make_series

    read: list[int] = []
    provider = next(p for p in hooks.CALENDAR.providers if p.__name__ == "meeting_events")

    def counted(*args, **kwargs):
        read.append(1)
        return provider(*args, **kwargs)

    # The hook's own entry replaced, with the tables it names.
    monkeypatch.setattr(
        hooks.CALENDAR,
        "providers",
        [counted if p is provider else p for p in hooks.CALENDAR.providers],
    )
    monkeypatch.setitem(hooks.CALENDAR.reads, counted, hooks.CALENDAR.reads[provider])
    client = app.test_client()
    client.post("/login", data={"login": "leader", "password": PASSWORD})
    assert client.get("/calendar").status_code == 200
    assert read == [1]
    page = f"/issues/{world.issue_id}"
    response = client.post(f"{page}/progress", data={"note": "客户已签约", "percent": "60"})
    assert response.status_code in (200, 302)
    assert client.get("/calendar").status_code == 200
    # The meetings were kept (by each worker: rows, which the host's folder of text does
    # not hold).
    assert read == ([1] if kept is None else [1, 1])
    read.clear()
    with look():
        make_meeting(make_series(world, name="新开的推进会"), clock.today())
    assert "新开的推进会" in client.get("/calendar").get_data(as_text=True)
    assert read == [1]
