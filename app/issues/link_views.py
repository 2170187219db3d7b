"""Routes that add and remove an item's links (关联); the page shows them
(``link_page.py``, ``templates/issues/_links.html``)."""

from __future__ import annotations

from flask import flash, render_template_string, request
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError, InvalidTransition
from app.core.web import flash_refusal, form_error, refusal_status, requires
from app.issues import service
from app.issues.forms import LinkForm
from app.issues.link_page import item_choices as choices_of
from app.issues.service import relations
from app.issues.views import _back_to, _detail_with_error, _refused, bp


@bp.post("/issues/<int:issue_id>/links")
@requires("issue.work")
def add_link(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = LinkForm(prefix="link")
    status = 400
    if form.validate_on_submit():
        try:
            other = relations.find_issue(issue.task_force_id, form.other.data)
            relations.add_link(current_user, issue, form.kind.data, other)
        except InvalidTransition as error:
            return _refused(issue_id, error, "#links")
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("Linked %(a)s and %(b)s.", a=issue.code, b=other.code), "success")
            return _back_to(issue_id, "#links")
    return _detail_with_error(issue_id, status, link_form=form)


@bp.post("/issues/<int:issue_id>/links/remove")
@requires("issue.work")
def remove_link(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    try:
        relations.remove_link(current_user, issue, request.form.get("link_id"))
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Link removed."), "success")
    return _back_to(issue_id, "#links")


@bp.get("/issues/<int:issue_id>/item-choices")
@requires("issue.view")
def item_choices(issue_id: int):
    """The options of an item page's picker (its datalist): the task force's other items."""
    issue = service.load_issue(current_user, issue_id)
    return render_template_string(
        '{% for code, title in choices %}<option value="{{ code }} · {{ title }}"></option>'
        "{% endfor %}",
        choices=choices_of(issue),
    )
