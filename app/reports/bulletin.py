"""The monthly supervision bulletin (督办通报): who may, what is kept, how it is built.

As a review pack (``reports/service.py``), and through the same steps
(``reports/building.py``): a bulletin is requested (a ``Bulletin`` row, queued) and its
building put on the job queue (``queue_build``, kind ``bulletin``); the worker of the
scheduler's process builds it (``run_bulletin``) and the reports page polls the row. The
building claims the row for the job's own claim (``built_by``): a job whose worker died
is taken over by another claim of the queue, which claims the row again and builds it;
only the claim named on the row writes the outcome, so a bulletin is built into its row
once.

The scheduler's daily job (``monthly_bulletins``) requests last month's bulletin of every
task force not archived, from this month's first working day on, unless the scheduler has
made it already; once one of those is done, every active member is told (``announce``).
Bulletins people generate on demand are not announced. The service never commits: a job
hands it a ``checkpoint`` (the job's commit).
"""

from __future__ import annotations

from contextlib import nullcontext

from babel.dates import format_skeleton
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import clock, hooks, jobs, links, outbox, workdays
from app.core.errors import ValidationFailed
from app.core.pdf import html_to_word, pdf_html
from app.core.permissions import authorize
from app.core.quarters import Month
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import TaskForce, User
from app.people.roster import active_member_ids
from app.reports import building
from app.reports.bulletin_models import Bulletin

BULLETIN_JOB = "bulletin"
READY_KIND = "bulletin_ready"

Checkpoint = building.Checkpoint


def month_label(month: Month | str) -> str:
    """ "2026年11月", "November 2026": in the current language."""
    month = month if isinstance(month, Month) else Month.parse(month)
    return format_skeleton("yMMMM", month.first_day, locale=get_locale())


def issue_number(task_force: TaskForce, month: Month | str) -> int:
    """The bulletin's issue (期) number: the task force's months counted from its first."""
    month = month if isinstance(month, Month) else Month.parse(month)
    first = Month.of(task_force.starts_on) if task_force.starts_on else month
    return max((month.year - first.year) * 12 + month.number - first.number + 1, 1)


def title_of(task_force: TaskForce, month: Month | str) -> str:
    """ "XX小组督办通报（第11期 · 2026年11月）"."""
    return _(
        "%(task_force)s supervision bulletin (No. %(number)d, %(month)s)",
        task_force=task_force.name,
        number=issue_number(task_force, month),
        month=month_label(month),
    )


def check_month(month: Month | str) -> Month:
    """:raise ValidationFailed: for a malformed month or one that has not begun."""
    try:
        month = month if isinstance(month, Month) else Month.parse(month)
    except ValueError:
        raise ValidationFailed(_("Choose a month."), "month") from None
    if month.first_day > clock.today():
        raise ValidationFailed(_("This month has not begun yet."), "month")
    return month


def months_of(task_force: TaskForce, today=None) -> list[Month]:
    """The months since the task force began, up to the current one, newest first (two
    years at most)."""
    month = Month.of(today or clock.today())
    first = Month.of(task_force.starts_on) if task_force.starts_on else month
    months = [month]
    while months[-1] > first and len(months) < 24:
        months.append(months[-1].previous())
    return months


# --- the document -------------------------------------------------------------------------


def bulletin_html(
    task_force_id: int,
    month: Month,
    number: int | None = None,
    requested_by: str = "",
    progress=None,
) -> str:
    """The bulletin's HTML, for its PDF and its Word file. ``progress(percent)`` is told
    along the way. Checks no permission."""
    report = progress or (lambda percent: None)
    task_force = db.session.get(TaskForce, task_force_id)
    sections = []
    registered = hooks.BULLETIN_SECTIONS.ordered()
    for index, section in enumerate(registered, start=1):
        sections.append((section, section.build(task_force_id, month) or {}))
        report(5 + 50 * index // max(len(registered), 1))
    figures = [f for _section, context in sections for f in context.get("figures", [])]
    return pdf_html(
        "reports/bulletin.html",
        task_force=task_force,
        month=month,
        month_label=month_label(month),
        title=title_of(task_force, month),
        issue=issue_number(task_force, month),
        number=number,
        figures=figures,
        sections=sections,
        live=month.contains(clock.today()),
        requested_by=requested_by,
        generated_at=clock.local_now(),
        running_header=f"{task_force.name} · {month_label(month)}",
    )


def bulletin_document(
    task_force_id: int,
    month: Month,
    number: int | None = None,
    requested_by: str = "",
    progress=None,
) -> tuple[bytes, int, str]:
    """Build one bulletin: (PDF bytes, page count, the HTML it was made from, for its Word
    file). ``progress(percent)`` is told along the way. Checks no permission."""
    from weasyprint import HTML

    report = progress or (lambda percent: None)
    html = bulletin_html(task_force_id, month, number, requested_by, report)
    report(60)
    document = HTML(string=html, base_url=current_app.static_folder).render()
    report(90)
    return document.write_pdf(), len(document.pages), html


# --- requesting ---------------------------------------------------------------------------


def request_bulletin(
    actor: User | None, task_force_id: int, month: Month | str
) -> tuple[Bulletin, bool]:
    """Queue a new bulletin of ``month``: (the bulletin, True); while one of that month is
    queued or being built, (that one, False) (``building.request``). ``actor`` None is
    the scheduler. :raise PermissionDenied, ValidationFailed:"""
    if actor is not None:
        authorize(actor, "report.generate", task_force_id)
    month = check_month(month)
    return building.request(Bulletin, actor, task_force_id, str(month))


def queue_build(bulletin: Bulletin) -> jobs.Job:
    """Put the building of a queued bulletin on the job queue (the worker builds it)."""
    return jobs.enqueue(
        BULLETIN_JOB,
        bulletin.task_force_id,
        bulletin.requested_by_id,
        payload={"bulletin_id": bulletin.id},
    )


# --- building -----------------------------------------------------------------------------


def _files(task_force_id: int, month: Month, number: int, who: str, progress):
    """The bulletin as PDF and as Word from one HTML: (PDF, page count, .docx)."""
    content, pages, html = bulletin_document(task_force_id, month, number, who, progress)
    task_force = db.session.get(TaskForce, task_force_id)
    word = html_to_word(
        html, title=title_of(task_force, month), header=f"{task_force.name} · {month_label(month)}"
    )
    return content, pages, word


def run_bulletin(bulletin_id: int, claim: str, checkpoint: Checkpoint) -> Bulletin | None:
    """Build a bulletin under the job's ``claim`` and store it; a failure is recorded on the
    row. A bulletin queued, or left running by a claim that is not this one (its worker
    died and the queue gave the job to this one), is claimed; any other is left alone
    (``reports/building.py``). One the scheduler asked for is announced once built."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        return bulletin
    task_force_id, month, number = (
        bulletin.task_force_id,
        Month.parse(bulletin.month),
        bulletin.number,
    )
    requester = bulletin.requested_by
    locale = requester.locale if requester else current_app.config["BABEL_DEFAULT_LOCALE"]
    build = building.claim(Bulletin, bulletin_id, claim, checkpoint)
    if build is None:
        return db.session.get(Bulletin, bulletin_id)
    render_context = nullcontext() if has_request_context() else current_app.test_request_context()
    try:
        with render_context, force_locale(locale):
            who = requester.display_name if requester else _("Scheduler")
            files = _files(task_force_id, month, number, who, build.progress)
    except Exception as error:  # noqa: BLE001  (recorded for the person waiting)
        current_app.logger.exception("bulletin %s failed", bulletin_id)
        return build.fail(error)
    bulletin = build.store(*files)
    if bulletin is None:  # another claim took it over meanwhile: its build counts
        return db.session.get(Bulletin, bulletin_id)
    if requester is None:
        with nullcontext() if has_request_context() else current_app.test_request_context():
            announce(bulletin)
    checkpoint()
    return bulletin


def announce(bulletin: Bulletin) -> int:
    """Tell every active member of the task force that the bulletin is out, each once, in
    their language, with a link that opens the right task force. Returns how many."""
    task_force = db.session.get(TaskForce, bulletin.task_force_id)
    link = links.in_task_force(
        url_for("reports.download_bulletin", bulletin_id=bulletin.id), bulletin.task_force_id
    )
    members = db.session.scalars(
        select(User).where(User.id.in_(active_member_ids(bulletin.task_force_id))).order_by(User.id)
    ).all()
    told = 0
    for member in members:

        def message() -> str:
            return _(
                "%(title)s is out: the month's closed, overdue and delayed items, "
                "instructions, nudges and the org units' ranking.",
                title=title_of(task_force, bulletin.month),
            )

        if outbox.tell(
            member,
            READY_KIND,
            message,
            f"bulletin:{bulletin.id}:{member.id}",
            link=link,
            subject=bulletin,
        ):
            told += 1
    return told


# --- the scheduler's monthly bulletins ----------------------------------------------------


def monthly_bulletins(today=None) -> list[Bulletin]:
    """The scheduler's daily job: last month's bulletin of every task force not archived,
    queued for the worker, once.

    Nothing happens before this month's first working day; from then on a task force for
    which the scheduler already made that month's bulletin (done, or queued or being built
    and alive) is skipped, so a later day, a second run or a second scheduler makes none
    twice, and a missed day is caught up. Bulletins people asked for do not count."""
    today = today or clock.today()
    if today < workdays.first_working_day(today.year, today.month):
        return []
    month = Month.of(today).previous()
    task_force_ids = building.still_to_make(Bulletin, str(month))
    made = []
    for task_force_id in task_force_ids:
        with task_force_scope(task_force_id):
            bulletin, created = request_bulletin(None, task_force_id, month)
            if created:
                queue_build(bulletin)
                made.append(bulletin)
    return made


# --- reading ------------------------------------------------------------------------------


status_of = building.status_of


def list_bulletins(actor: User, task_force_id: int) -> list[Bulletin]:
    return building.listed(Bulletin, actor, task_force_id)


def get_bulletin(actor: User, bulletin_id) -> Bulletin:
    """:raise NotFound: for an unknown id or another task force's bulletin."""
    return building.get(Bulletin, actor, bulletin_id)


bulletin_content = building.pdf_of
bulletin_docx = building.word_of
