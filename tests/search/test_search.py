"""Search (搜索): Chinese as people type it, codes, who finds what, the index kept in
the write's own transaction, highlighting, paging, filters and ``flask search reindex``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.scope import unscoped
from app.discussion.models import Comment
from app.extensions import db
from app.intake.models import Submission
from app.issues.models import Issue, ProgressUpdate
from app.people.models import TaskForce, User
from app.search.highlight import mark
from app.search.models import SearchEntry
from app.search.service import fts5_query
from app.search.tokens import Term, parse_query, tokenize
from tests import factories

SUBMISSION = "理财产品起购金额偏高"


def _titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'data-testid="search-link">(.*?)</a>', html, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def _search(client, query: str, **args):
    return client.get("/search", query_string={"q": query, **args})


@pytest.fixture
def items(app, world):
    """Items and notes on the first task force, one item on the second."""
    with app.app_context(), unscoped():
        category = factories.make_category(world.task_force_id, "代发业务", prefix="DF")
        first = factories.make_issue(
            category, "代发工资客户转化", code="DF-001", description="MGM 活动 2026 年推开",
            owner_id=world.users["member"],
        )  # fmt: skip
        second = factories.make_issue(category, "R1 等级客户信托配置", code="DF-002")
        db.session.add(
            ProgressUpdate(
                task_force_id=world.task_force_id, issue_id=second.id,
                author_id=world.users["leader"], note="已与家族办公室对接，准备保险金方案",
            )
        )  # fmt: skip
        db.session.commit()
        return {"first": first.id, "second": second.id}


# --- tokens --------------------------------------------------------------------------------


def test_chinese_is_indexed_as_overlapping_bigrams_and_latin_as_lower_case_runs():
    assert tokenize("理财产品 R1 上线MGM，２０２６") == "理财 财产 产品 品 r1 上线 线 mgm 2026"
    assert tokenize("信") == "信"
    assert parse_query("理财产品 R1") == [Term(("理财", "财产", "产品")), Term(("r1",))]
    assert parse_query("理") == [Term(("理",), prefix=True)]
    assert parse_query("<>\"'*") == []


def test_fts5_query_quotes_every_term():
    terms = [Term(("理财", "财产")), Term(("r1",)), Term(("理",), prefix=True)]
    assert fts5_query(terms) == '"理财 财产" "r1" "理"*'
    assert fts5_query([Term(('a"b',))]) == '"a""b"'


def test_highlighting_escapes_first_then_marks():
    marked = mark('<script>alert("理财")</script>', "理财")
    assert str(marked) == "&lt;script&gt;alert(&#34;<mark>理财</mark>&#34;)&lt;/script&gt;"
    assert "<mark>Mgm</mark>" in str(mark("the Mgm plan", "mgm"))


# --- finding -------------------------------------------------------------------------------


def test_two_character_words_and_mixed_terms(client, auth, world, items):
    auth.login("member")
    assert "DF-001 代发工资客户转化" in _titles(_search(client, "代发"))
    assert "DF-002 R1 等级客户信托配置" in _titles(_search(client, "信托"))
    assert "DF-002 R1 等级客户信托配置" in _titles(_search(client, "r1 信托"))
    assert "DF-001 代发工资客户转化" in _titles(_search(client, "mgm 2026"))
    assert _titles(_search(client, "代发 信托")) == []  # every term must match
    # A word of a progress note finds the note, under its item, linking to the item.
    html = _search(client, "保险").get_data(as_text=True)
    assert 'data-testid="search-group-progress_update"' in html
    assert f'href="/issues/{items["second"]}"' in html
    assert "<mark>保险</mark>" in html
    # One character finds it wherever it stands, first or last of a word.
    assert "DF-002 R1 等级客户信托配置" in _titles(_search(client, "托"))


def test_a_code_goes_to_the_item_when_the_reader_may_see_it(app, client, auth, world, items):
    auth.login("member")
    response = _search(client, "df-001")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/issues/{items['first']}")
    with app.app_context(), unscoped():
        other_code = db.session.get(Issue, world.other_issue_id).code
    response = _search(client, other_code)
    assert response.status_code == 200  # another task force's item: no way in


def test_results_are_escaped(client, auth, world, items, app):
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, items["first"])
        issue.description = '<img src=x onerror="alert(1)"> 代发'
        db.session.commit()
    auth.login("member")
    html = _search(client, "代发").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=" in html


# --- who finds what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "finds_item", "finds_submission"),
    [
        ("leader", True, True),
        ("member", True, False),
        ("viewer", True, False),
        ("frontline", False, True),
        ("outsider", False, False),
        ("stranger", False, False),
    ],
)
def test_each_reader_finds_what_they_may_read(
    client, auth, world, persona, finds_item, finds_submission
):
    auth.login(persona)
    titles = _titles(_search(client, "理财 产品"))
    assert (SUBMISSION + "，客户难以尝试" in titles) is finds_submission
    titles = _titles(_search(client, "归集"))
    assert any(title.endswith(" 现金管理类产品归集与支付") for title in titles) is finds_item


def test_frontline_staff_find_only_their_own_submissions(app, client, auth, world):
    with app.app_context(), unscoped():
        other = factories.make_user("frontline2", role="frontline")
        db.session.add(
            Submission(
                task_force_id=world.task_force_id, submitter_id=other.id, title="理财宣传物料不足"
            )
        )
        db.session.commit()
    auth.login("frontline")
    response = _search(client, "理财")
    titles = _titles(response)
    assert titles == [SUBMISSION + "，客户难以尝试"]
    assert 'href="/intake/mine"' in response.get_data(as_text=True)


def test_a_member_of_two_task_forces_finds_both_with_links_that_switch(app, client, auth, world):
    with app.app_context(), unscoped():
        member = db.session.get(User, world.users["member"])
        factories.make_membership(member, db.session.get(TaskForce, world.other_task_force_id))
    auth.login("member")
    response = _search(client, "营销")
    assert "对公存款营销" in " ".join(_titles(response))
    # Whichever task force is current, a result of the other one carries it (?tf=).
    other_link = f"tf={world.other_task_force_id}" in response.get_data(as_text=True)
    first_link = f"tf={world.task_force_id}" in _search(client, "归集").get_data(as_text=True)
    assert other_link != first_link
    only_first = _search(client, "营销", force=world.task_force_id)
    assert _titles(only_first) == []


def test_deleted_comments_are_never_found(app, client, auth, world):
    with app.app_context(), unscoped():
        comment = db.session.get(Comment, world.ids["comment"])
        words = comment.body
        comment.body = comment.body + " 信托专项"
        db.session.commit()
    auth.login("member")
    assert _titles(_search(client, "信托专项")) != []
    with app.app_context(), unscoped():
        comment = db.session.get(Comment, world.ids["comment"])
        comment.deleted_at = clock.now()
        comment.body = words
        db.session.commit()
    assert _titles(_search(client, "信托专项")) == []


# --- the index follows the writes -----------------------------------------------------------


def _entries(kind: str, object_id: int) -> list[SearchEntry]:
    return list(
        db.session.scalars(
            select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id)
        )
    )


def test_index_kept_current_on_create_edit_and_delete(ctx, world, items):
    issue = db.session.get(Issue, items["first"])
    assert _entries("issue", issue.id)[0].title == "DF-001 代发工资客户转化"
    issue.title = "养老金账户开户"
    db.session.commit()
    assert "养老 老金" in _entries("issue", issue.id)[0].tokens
    note = ProgressUpdate(task_force_id=issue.task_force_id, issue_id=issue.id, note="进展顺利")
    db.session.add(note)
    db.session.commit()
    assert len(_entries("progress_update", note.id)) == 1
    db.session.delete(note)
    db.session.commit()
    assert _entries("progress_update", note.id) == []


def test_a_rolled_back_write_leaves_no_entry(ctx, world, items):
    issue = db.session.get(Issue, items["first"])
    note = ProgressUpdate(task_force_id=issue.task_force_id, issue_id=issue.id, note="回滚的进展")
    db.session.add(note)
    db.session.flush()  # indexed inside the transaction …
    note_id = note.id
    assert len(_entries("progress_update", note_id)) == 1
    db.session.rollback()  # … and gone with it
    assert _entries("progress_update", note_id) == []
    issue = db.session.get(Issue, items["first"])
    issue.title = "改了又撤销"
    db.session.flush()
    db.session.rollback()
    assert _entries("issue", items["first"])[0].title == "DF-001 代发工资客户转化"


def test_deleting_an_item_drops_what_belonged_to_it(ctx, world, items):
    issue = db.session.get(Issue, items["second"])
    notes = db.session.scalars(
        select(ProgressUpdate.id).where(ProgressUpdate.issue_id == issue.id)
    ).all()
    for note in db.session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.issue_id == issue.id)
    ):
        db.session.delete(note)
    db.session.delete(issue)
    db.session.commit()
    assert _entries("issue", items["second"]) == []
    assert all(_entries("progress_update", n) == [] for n in notes)


# --- paging, filters, reindex ---------------------------------------------------------------


def test_paging_and_filters(app, client, auth, world):
    with app.app_context(), unscoped():
        category = factories.make_category(world.task_force_id, "信托", prefix="XT")
        for n in range(25):
            owner = world.users["member"] if n < 3 else world.users["leader"]
            factories.make_issue(category, f"信托产品第{n}批", owner_id=owner)
        old = factories.make_issue(category, "旧的信托问题")
        old.created_at = clock.now() - timedelta(days=40)
        db.session.commit()
    auth.login("leader")
    all_kinds = _search(client, "信托")
    assert len(_titles(all_kinds)) == 5  # the best of each kind
    assert "查看此类全部 26 条结果" in all_kinds.get_data(as_text=True)
    first = _search(client, "信托", kind="issue")
    assert len(_titles(first)) == 20 and 'rel="next"' in first.get_data(as_text=True)
    second = _search(client, "信托", kind="issue", page=2)
    assert len(_titles(second)) == 6 and 'rel="next"' not in second.get_data(as_text=True)
    assert not set(_titles(first)) & set(_titles(second))
    mine = _search(client, "信托", kind="issue", person=world.users["member"])
    assert len(_titles(mine)) == 3
    since = (clock.today() - timedelta(days=10)).isoformat()
    recent = _search(client, "信托", kind="issue", since=since, page=2)
    assert "旧的信托问题" not in _titles(recent) and len(_titles(recent)) == 5


def test_reindex_command_rebuilds_the_index(app, world, items):
    with app.app_context(), unscoped():
        before = db.session.scalar(select(func.count(SearchEntry.id)))
        db.session.execute(SearchEntry.__table__.delete())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unscoped():
        assert db.session.scalar(select(func.count(SearchEntry.id))) == before > 0
    assert f"Indexed {before} entries" in result.output


def test_an_empty_or_hostile_query_is_harmless(client, auth, world):
    auth.login("member")
    for query in ["", '"', "*", "NEAR(", "' OR 1=1 --", "理" * 500]:
        assert _search(client, query).status_code == 200
