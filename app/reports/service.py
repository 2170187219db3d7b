"""The quarterly review pack and the PDF exports: who may, what is kept, how it runs.

A pack is requested (a ``ReviewPack`` row, queued, and a job on the queue of
``core/jobs.py``: ``queue_build``), built by the worker of the scheduler's process, and
kept: the row records who, when, the quarter, the version, the SHA-256 and size of the
PDF stored with it and its Word file (the way every built document goes from the request
to the snapshot is ``reports/building.py``). All state is in the database, so any
gunicorn worker answers the page that polls for progress. The scheduler's quarter-end job
calls ``generate_pack``, which does the same work inline.

The functions a request calls (``request_pack``, ``queue_build``, ``queue_issue_list_pdf``)
flush and leave the commit to the request's boundary (``core/unit.py``). Building a pack
(``run_pack``) is a job's body, never a request's: its claim and its progress must be
seen by the page polling the row while it builds, so the job that runs it hands it a
``checkpoint`` (the job's commit, ``reports/jobs.py``), called after the claim, at each
step of progress and at the end. The service itself never commits.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from app.core import clock, hooks, jobs
from app.core.errors import ValidationFailed
from app.core.pdf import html_to_pdf, html_to_word, pdf_html
from app.core.permissions import authorize
from app.core.quarters import Quarter
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.issues import service as issues
from app.issues.labels import LIGHT_LABELS, PRIORITY_LABELS, STATUS_LABELS
from app.issues.lights import LightRules, light_expression, light_of, light_reasons
from app.issues.models import Category, Issue
from app.people.models import TaskForce, User
from app.reports import building, listing, narrative, review
from app.reports.models import ReviewPack

STALE_AFTER = building.STALE_AFTER

# The kinds of job this feature puts on the queue (``reports.init_app`` registers them).
PACK_JOB = "review_pack"
LIST_PDF_JOB = "issue_list_pdf"

# The job's commit, handed to a job's body by the job (``reports/jobs.py``).
Checkpoint = building.Checkpoint


def quarter_label(quarter: Quarter) -> str:
    return _("Q%(n)d %(year)d", n=quarter.number, year=quarter.year)


def check_quarter(quarter: Quarter | str) -> Quarter:
    """:raise ValidationFailed: for a malformed quarter or one that has not begun."""
    try:
        quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    except ValueError:
        raise ValidationFailed(_("Choose a quarter."), "quarter") from None
    if quarter.first_day > clock.today():
        raise ValidationFailed(_("This quarter has not begun yet."), "quarter")
    return quarter


# --- the pack ---------------------------------------------------------------------------


_APPROVED = object()  # pack_html's default: the narrative approved now


def pack_html(
    task_force_id: int,
    quarter: Quarter,
    version: int | None = None,
    requested_by: str = "",
    progress=None,
    narrative_text=_APPROVED,
) -> str:
    """The pack's HTML (for WeasyPrint, or for a Word file): the cover, the approved
    narrative (``reports.narrative.approved_narrative``, or ``narrative_text`` as a pack
    kept it) with the leader's sign-off, then the data as annexes. No permission checked."""
    report = progress or (lambda percent: None)
    if narrative_text is _APPROVED:
        narrative_text = narrative.approved_narrative(task_force_id, quarter)
    task_force = db.session.get(TaskForce, task_force_id)
    with review.building(review.PackData(task_force_id, review.AsOf.for_quarter(quarter))) as data:
        summary = review.summary(task_force_id, data.as_of)
        sections = []
        registered = hooks.REVIEW_SECTIONS.ordered()
        for index, section in enumerate(registered, start=1):
            sections.append((section, section.build(task_force_id, quarter) or {}))
            report(5 + 45 * index // max(len(registered), 1))
    figures = [f for _section, context in sections for f in context.get("figures", [])]
    return pdf_html(
        "reports/pack.html",
        task_force=task_force,
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        as_of=data.as_of,
        summary=summary,
        figures=figures,
        sections=sections,
        narrative=narrative_text,
        approved_on=_approved_on(narrative_text),
        numeral=numeral,
        version=version,
        requested_by=requested_by,
        generated_at=clock.local_now(),
        running_header=f"{task_force.name} · {quarter_label(quarter)}",
    )


_CHINESE_NUMERALS = "一二三四五六七八九十"


def numeral(n: int) -> str:
    """A heading's number in the current language: 一, 二 … 十九 in Chinese, 1, 2 … else."""
    if get_locale() is None or get_locale().language != "zh" or not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CHINESE_NUMERALS[tens - 1] + "十")
    return head + (_CHINESE_NUMERALS[ones - 1] if ones else "")


def _approved_on(narrative_text: dict | None):
    when = (narrative_text or {}).get("approved_at")
    return clock.local_date(datetime.fromisoformat(when)) if when else None


def _render(html: str) -> tuple[bytes, int]:
    """The pack's PDF and its page count."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=current_app.static_folder).render()
    pages = document.pages
    # The contents page is laid out last (see pack.html); it goes behind the cover.
    document = document.copy([pages[0], pages[-1], *pages[1:-1]])
    return document.write_pdf(), len(pages)


def pack_word(task_force_id: int, quarter: Quarter, html: str) -> bytes:
    """The pack's HTML as a Word file (the same source as its PDF)."""
    task_force = db.session.get(TaskForce, task_force_id)
    return html_to_word(
        html,
        title=f"{task_force.name} · {_('Quarterly review')} · {quarter_label(quarter)}",
        header=f"{task_force.name} · {quarter_label(quarter)}",
    )


def pack_document(
    task_force_id: int,
    quarter: Quarter,
    version: int | None = None,
    requested_by: str = "",
    progress=None,
    narrative_text=_APPROVED,
) -> tuple[bytes, int]:
    """Build one pack: (PDF bytes, page count). ``progress(percent)`` is told along the way.

    The bench and the tests call this directly; it checks no permission.
    """
    report = progress or (lambda percent: None)
    html = pack_html(task_force_id, quarter, version, requested_by, report, narrative_text)
    report(55)
    return _render(html)


def pack_files(
    task_force_id: int,
    quarter: Quarter,
    version: int | None,
    requested_by: str,
    progress,
    narrative_text,
) -> tuple[bytes, int, bytes]:
    """Build one pack as PDF and as Word from one HTML: (PDF, page count, .docx)."""
    html = pack_html(task_force_id, quarter, version, requested_by, progress, narrative_text)
    progress(55)
    content, pages = _render(html)
    progress(90)
    return content, pages, pack_word(task_force_id, quarter, html)


def request_pack(
    actor: User | None, task_force_id: int, quarter: Quarter | str
) -> tuple[ReviewPack, bool]:
    """Queue a new version of the pack for ``quarter``: (the pack, True); while one of the
    quarter is queued or built, that one (``building.request``: ten quick requests used
    to build ten packs at once). ``actor`` None is the scheduler.
    :raise PermissionDenied, ValidationFailed:"""
    if actor is not None:
        authorize(actor, "report.generate", task_force_id)
    quarter = check_quarter(quarter)
    return building.request(ReviewPack, actor, task_force_id, str(quarter))


def queue_build(pack: ReviewPack) -> jobs.Job:
    """Put the building of a queued pack on the job queue (the worker builds it)."""
    return jobs.enqueue(
        PACK_JOB, pack.task_force_id, pack.requested_by_id, payload={"pack_id": pack.id}
    )


def run_pack(pack_id: int, checkpoint: Checkpoint, claim: str | None = None) -> ReviewPack:
    """Build a queued pack and store it; failures are recorded on the row, not raised.
    A job's body: ``checkpoint`` (the job's commit) keeps the claim, each step of progress
    and the outcome as they happen; ``claim`` is the job queue's claim on the job that
    builds it, with which a pack left running by a dead worker is taken over (see
    ``reports/building.py``)."""
    pack = db.session.get(ReviewPack, pack_id)
    if pack is None:
        return pack
    task_force_id, quarter, number = pack.task_force_id, Quarter.parse(pack.quarter), pack.number
    requester = pack.requested_by
    locale = requester.locale if requester else current_app.config["BABEL_DEFAULT_LOCALE"]
    who = requester.display_name if requester else ""
    build = building.claim(ReviewPack, pack_id, claim, checkpoint)
    if build is None:
        return db.session.get(ReviewPack, pack_id)
    # Templates read the request (the layout's helpers, url_for): a thread or the scheduler
    # has none, so it gets an empty one, an anonymous visitor's.
    render_context = nullcontext() if has_request_context() else current_app.test_request_context()
    try:
        with render_context, force_locale(locale):
            who = who or _("Scheduler")
            kept = narrative.approved_narrative(task_force_id, quarter)
            files = pack_files(task_force_id, quarter, number, who, build.progress, kept)
    except Exception as error:  # noqa: BLE001  (recorded for the person waiting)
        current_app.logger.exception("review pack %s failed", pack_id)
        return build.fail(error)
    stored = build.store(*files, narrative=kept)
    checkpoint()
    return stored or db.session.get(ReviewPack, pack_id)


def generate_pack(
    actor: User | None, task_force_id: int, quarter: Quarter | str, checkpoint: Checkpoint
) -> ReviewPack:
    """Queue and build a pack now (the scheduler calls this at quarter end): done or
    failed. A job's body, as ``run_pack``: ``checkpoint`` is the job's commit."""
    with task_force_scope(task_force_id):
        pack, _created = request_pack(actor, task_force_id, quarter)
        checkpoint()  # the queued row, before the claim reads it
        pack = run_pack(pack.id, checkpoint)
        # Loaded here, in scope: the caller may read the row outside any task force.
        db.session.refresh(pack)
        _ = pack.content
        return pack


def quarter_end_packs(checkpoint: Checkpoint, today=None) -> list[ReviewPack]:
    """The scheduler's quarter-end job: the pack of the quarter just ended, for every task
    force not archived, once.

    It runs on the first day of a quarter (the quarter before is then over, and its
    figures are read as they stood at its last day). A task force for which the scheduler
    already made a pack of that quarter, done or still being built, is skipped, so a
    second run, or a second scheduler, writes no second version; a failed one is tried
    again. Packs people generated by hand do not count. Returns the packs made.
    """
    quarter = Quarter.of(today or clock.today()).previous()
    task_force_ids = building.still_to_make(ReviewPack, str(quarter))
    made = [generate_pack(None, tf, quarter, checkpoint) for tf in task_force_ids]
    with unscoped():  # each pack's commit expired the ones before it
        for pack in made:
            db.session.refresh(pack)
    return made


status_of = building.status_of


def list_packs(actor: User, task_force_id: int) -> list[ReviewPack]:
    return building.listed(ReviewPack, actor, task_force_id)


def get_pack(actor: User, pack_id) -> ReviewPack:
    """:raise NotFound: for an unknown id or another task force's pack."""
    return building.get(ReviewPack, actor, pack_id)


pack_content = building.pdf_of
pack_word_file = building.word_of


# --- other exports ----------------------------------------------------------------------


def issue_list_rows(task_force_id: int, filters: issues.IssueFilter) -> list[dict[str, str]]:
    """The filtered list's rows as printed text (one query, columns only)."""
    rules = LightRules.current()
    base = issues._order(issues.filtered(task_force_id, filters, rules), filters.sort)
    stmt = (
        base.with_only_columns(
            Issue.code,
            Issue.title,
            Category.name,
            User.display_name,
            Issue.status,
            Issue.priority,
            Issue.deadline,
            light_expression(rules),
            maintain_column_froms=True,
        )
        .join(Category, Category.id == Issue.category_id)
        .outerjoin(User, User.id == Issue.owner_id)
    )
    statuses = {k: str(v) for k, v in STATUS_LABELS.items()}
    priorities = {k: str(v) for k, v in PRIORITY_LABELS.items()}
    lights = {k: str(v) for k, v in LIGHT_LABELS.items()}
    return [
        {
            "code": code,
            "title": title,
            "category": category or "",
            "owner": owner or "—",
            "status": statuses.get(status, status),
            "priority": priorities.get(priority, priority),
            "deadline": deadline.isoformat() if deadline else "—",
            "light": lights.get(light, light),
        }
        for code, title, category, owner, status, priority, deadline, light in db.session.execute(
            stmt
        )
    ]


def describe_filter(filters: issues.IssueFilter) -> str:
    """A short line saying which list this is."""
    parts = []
    if filters.statuses:
        parts.append(" / ".join(str(STATUS_LABELS.get(s, s)) for s in filters.statuses))
    if filters.open_only:
        parts.append(_("open items"))
    if filters.light:
        parts.append(str(LIGHT_LABELS.get(filters.light, filters.light)))
    if filters.q:
        parts.append(f"“{filters.q}”")
    when = _("as of %(day)s", day=clock.today().isoformat())
    return " · ".join(parts + [when]) if parts else _("All items") + " · " + when


def issue_list_pdf(
    actor: User, task_force_id: int, filters: issues.IssueFilter, workers: int | None = None
) -> bytes:
    """The problem list under ``filters`` (the list page's current filter) as PDF."""
    authorize(actor, "report.view", task_force_id)
    authorize(actor, "issue.view", task_force_id)
    rows = issue_list_rows(task_force_id, filters)
    return listing.issue_list_pdf(
        _("Problem list"),
        describe_filter(filters),
        rows,
        **({"workers": workers} if workers else {}),
    )


def issue_dossier_pdf(actor: User, issue_id) -> tuple[Issue, bytes]:
    """One item's dossier: fields, light and reasons, milestones, subtasks, progress, history.

    :raise NotFound: for an unknown id or another task force's item.
    """
    issue = issues.load_issue(actor, issue_id)
    authorize(actor, "report.view", issue.task_force_id)
    rules = LightRules.current()
    timeline = issues.issue_timeline(issue)
    data = pdf_html(
        "reports/dossier.html",
        issue=issue,
        light=light_of(issue, rules),
        reasons=light_reasons(issue, rules),
        timeline=timeline,
        today=rules.today,
        generated_at=clock.local_now(),
        banners=hooks.ISSUE_BANNERS.collect(actor, hooks.IssueFacts.of(issue)),
    )
    return issue, html_to_pdf(data, current_app.static_folder)


# --- the list PDF, a job ----------------------------------------------------------------


def queue_issue_list_pdf(actor: User, task_force_id: int, args: dict[str, list[str]]) -> jobs.Job:
    """Queue the problem list under the list page's filter (``args``, its query
    parameters) as PDF; the same list asked for again while it is being made is that job.
    :raise PermissionDenied:"""
    authorize(actor, "report.view", task_force_id)
    authorize(actor, "issue.view", task_force_id)
    payload = {"args": args}
    current = jobs.in_progress(LIST_PDF_JOB, task_force_id, actor.id, payload)
    return current or jobs.enqueue(LIST_PDF_JOB, task_force_id, actor.id, payload)


def get_list_pdf_job(task_force_id: int, job_id: int) -> jobs.Job | None:
    """A list PDF of the task force (anyone who may read the list may fetch it)."""
    return jobs.get_job(job_id, LIST_PDF_JOB, task_force_id)
