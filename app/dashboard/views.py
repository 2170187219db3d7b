"""The home page: the battle map of the current task force."""

from flask import Blueprint, g, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app.core import clock
from app.core.freshness import cached_body, kept_part
from app.core.nav import NavItem
from app.core.permissions import can
from app.core.web import requires
from app.dashboard import service
from app.issues.list_rows import Marks
from app.issues.views import issue_labels

bp = Blueprint("dashboard", __name__)

NAV_ITEMS = (NavItem("dashboard.battle_map", _l("Battle map"), "home.view", 10),)


@bp.get("/")
@requires("home.view")
def battle_map():
    """The battle map (作战图); people on no task force see where to go instead."""
    task_force_id = g.get("task_force_id")
    if task_force_id is None or not can(current_user, "issue.view", task_force_id):
        return render_template("dashboard/no_task_force.html")
    body = cached_body(
        "dashboard/_battle_map_body.html",
        lambda: {
            "task_force": g.task_force,
            "data": service.battle_map(current_user, task_force_id),
            "goal_figures": kept_part(
                "goal_figures",
                service.GOAL_FIGURE_TABLES,
                lambda: Markup(
                    render_template(
                        "dashboard/_goal_figures.html",
                        **vars(service.goal_figures(current_user, task_force_id, clock.today())),
                    )
                ),
            ),
            # The lists' lines (red, yellow, recently closed) drawn once per kind.
            "line": Marks(issue_labels()).line,
        },
    )
    return render_template("dashboard/battle_map.html", body=body)
