"""Search (搜索) at the size of a year: 10,000 items and 30,000 progress notes.

    .venv/bin/python -m bench.search_speed sqlite        # a throwaway SQLite file
    .venv/bin/python -m bench.search_speed postgresql    # database bench_search on
                                                         # 127.0.0.1:5432, made and dropped

``make bench`` runs both. The items and notes are written in bulk, then ``flask search
reindex``'s function builds the index (timed). Measured:

- ``search_<engine>_p50`` / ``_p95``: what the search page asks of the database for a
  two-character Chinese term (the counts of each kind and the best results of each), over
  the terms of the dataset's vocabulary, as the task force's leader;
- ``search_<engine>_save_indexed`` / ``_save_plain``: the median of one item save (an
  edit of its title and description, flushed and committed) with the index kept in the
  same transaction, and with the index's listener taken off: the indexing cost per write.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

ITEMS = int(os.environ.get("BENCH_SEARCH_ITEMS", "10000"))
NOTES_PER_ITEM = 3
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "60"))
SAVES = int(os.environ.get("BENCH_SEARCH_SAVES", "100"))
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_search"

WORDS = [
    "理财",
    "信托",
    "代发",
    "保险",
    "基金",
    "贵金属",
    "养老金",
    "客户",
    "营销",
    "渠道",
    "网点",
    "手机银行",
    "私行",
    "对公",
    "零售",
    "存款",
    "贷款",
    "产品",
    "系统",
    "流程",
    "考核",
    "培训",
    "数据",
    "风控",
    "合规",
    "支付",
    "归集",
    "现金管理",
    "权益",
    "活动",
    "宣传",
    "分层",
    "名单",
    "转化",
    "签约",
    "开户",
    "额度",
    "审批",
    "上线",
    "推广",
    "社区",
    "商户",
    "薪资",
    "年金",
    "按揭",
    "信用卡",
    "分行",
    "支行",
    "总行",
    "方案",
]
LATIN = ("R1", "R2", "MGM", "2026", "AUM", "APP", "CRM")
# The rest of a year's vocabulary: two-character words of common characters.
_CHARS = "经营管理协同堵点推进对接完成阶段目标问题调研需求评审落地优化机制考评督办整改验收指标"


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words with Zipf weights (the n-th most used word is used 1/n as often as the
    first), the order of use shuffled: a few words are everywhere, most are rare."""
    extra = {a + b for a in _CHARS for b in _CHARS if a != b}
    words = WORDS + sorted(extra)[:300]
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


def _text(rng: random.Random, words: int, vocabulary) -> str:
    parts = rng.choices(vocabulary[0], vocabulary[1], k=words)
    if rng.random() < 0.3:
        parts.insert(rng.randrange(len(parts)), rng.choice(LATIN))
    return "".join(parts)


def _engine_url(engine: str) -> str:
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="gj-search-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["GONGJIAN_INSTANCE"] = folder
        return f"sqlite:///{folder}/search.sqlite"
    import psycopg

    folder = tempfile.mkdtemp(prefix="gj-search-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["GONGJIAN_INSTANCE"] = folder
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    return f"{PG_SERVER}/{PG_DATABASE}"


def _drop_pg() -> None:
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")


def _fill(rng: random.Random, vocabulary):
    """A task force, its leader, one category, the items and their notes (in bulk)."""
    from sqlalchemy import insert, select

    from app.core import clock
    from app.extensions import db
    from app.issues.models import Category, Issue, ProgressUpdate
    from app.people.models import TaskForce, User

    leader = User(username="leader", email="l@example.test", display_name="组长", password_hash="x")
    task_force = TaskForce(name="攻坚小组", goal="非存AUM", starts_on=clock.today())
    db.session.add_all([leader, task_force])
    db.session.flush()
    category = Category(
        task_force_id=task_force.id, name="客户", code_prefix="KH", depth=0, path="/"
    )
    db.session.add(category)
    db.session.commit()
    now = clock.now()
    rows = [
        {
            "task_force_id": task_force.id,
            "code": f"KH-{i:05d}",
            "title": _text(rng, 4, vocabulary),
            "description": _text(rng, 12, vocabulary),
            "solution": _text(rng, 6, vocabulary),
            "category_id": category.id,
            "owner_id": leader.id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }  # fmt: skip
        for i in range(ITEMS)
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Issue), rows[start : start + 2000])
    ids = list(db.session.scalars(select(Issue.id)))
    notes = [
        {
            "task_force_id": task_force.id,
            "issue_id": ident,
            "author_id": leader.id,
            "note": _text(rng, 10, vocabulary),
            "created_at": now,
        }  # fmt: skip
        for ident in ids
        for _ in range(NOTES_PER_ITEM)
    ]
    for start in range(0, len(notes), 5000):
        db.session.execute(insert(ProgressUpdate), notes[start : start + 5000])
    db.session.commit()
    return leader.id, task_force.id, ids


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _searches(reader, terms: list[str]) -> list[float]:
    from app.search import service

    filters = service.Filters()
    for term in terms[:3]:  # warm the caches, as a running server has them
        service.overview(reader, term, filters)
    times = []
    for n in range(SEARCHES):
        term = terms[n % len(terms)]
        started = time.perf_counter()
        service.overview(reader, term, filters)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _saves(rng: random.Random, ids: list[int], vocabulary) -> list[float]:
    from app.extensions import db
    from app.issues.models import Issue

    times = []
    for ident in rng.sample(ids, SAVES):
        issue = db.session.get(Issue, ident)
        started = time.perf_counter()
        issue.title = _text(rng, 4, vocabulary)
        issue.description = _text(rng, 12, vocabulary)
        db.session.commit()
        times.append((time.perf_counter() - started) * 1000)
        db.session.expunge_all()
    return times


def main() -> None:
    engine = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    try:
        os.environ["DATABASE_URL"] = _engine_url(engine)
    except Exception as error:  # psycopg's OperationalError: no server to measure on
        print(f"search_{engine}_skipped: no database server ({type(error).__name__})")
        return
    try:
        _measure(engine)
    finally:
        if engine == "postgresql":
            _drop_pg()


def _measure(engine: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from app import create_app
    from app.core.scope import unscoped
    from app.extensions import db
    from app.search import index, service

    app = create_app()
    rng = random.Random(2026)
    with app.app_context(), unscoped():
        upgrade()
        vocabulary = _vocabulary(rng)
        user_id, task_force_id, ids = _fill(rng, vocabulary)
        started = time.perf_counter()
        counts = index.reindex()
        db.session.commit()
        reindex_seconds = time.perf_counter() - started
        if engine == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        reader = service.Reader(user_id, {task_force_id: {"leader"}})
        # Typical terms: the two-character words of the vocabulary, any of them alike;
        # the common term: the most used one (in about one text in five).
        two = [word for word in vocabulary[0] if len(word) == 2]
        searches = _searches(reader, rng.sample(two, 30))
        common = _searches(reader, two[:1])
        found = service.overview(reader, two[0], service.Filters())[0]
        indexed = _saves(rng, ids, vocabulary)
        event.remove(Session, "after_flush", index._after_flush)
        plain = _saves(rng, ids, vocabulary)
        index.listen()
        db.session.remove()
        db.engine.dispose()
    name = f"search_{engine}"
    print(
        f"{name}_entries: {sum(counts.values())} entries "
        f"({ITEMS} items, {counts['progress_update']} notes)"
    )
    print(f"{name}_reindex: {reindex_seconds:.1f} s")
    print(
        f"{name}_p50: {statistics.median(searches):.1f} ms "
        "(two-character term, counts and the best of each kind)"
    )
    print(f"{name}_p95: {_percentile(searches, 95):.1f} ms")
    print(
        f"{name}_common_p50: {statistics.median(common):.1f} ms "
        f"(the most used word, {sum(found.values())} results)"
    )
    print(f"{name}_save_indexed: {statistics.median(indexed):.2f} ms per item save")
    print(f"{name}_save_plain: {statistics.median(plain):.2f} ms per item save")
    cost = statistics.median(indexed) - statistics.median(plain)
    print(f"{name}_index_cost: {cost:.2f} ms per item save")


if __name__ == "__main__":
    main()
