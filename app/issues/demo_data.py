"""The source case's problem list, as plain data for ``flask demo load`` (app/demo.py),
read from ``demo_data.json`` next to this module.

The non-deposit AUM task force (非存AUM攻坚克难小组) found 92 key problems in its
research; by the end of the year 78 were closed and the other 14 had a defined path and
a landing schedule. Everything here is written from the measures the article describes.
Dates are not stored here: the loader places them relative to today.

A problem is a dict:

- ``sub``: the sub-dimension it is filed under (a name from ``CATEGORIES``);
- ``title``, ``description``, ``solution``;
- ``owner`` and ``collaborators``: demo usernames; ``org_unit``: an org unit name;
- ``priority`` (urgent/high/medium/low), ``major`` (重大事项), ``source``;
- a closed problem has ``milestones`` (two or three titles, the landing schedule it ran
  through), ``result`` (the verification note written when it was closed) and maybe
  ``late`` (closed after its deadline); ``created`` (days after the task force's start)
  places a problem found later than the first research round;
- an open problem has ``open``: its status, deadline and ``schedule`` of
  ``(title, due, done)`` with days relative to today (``done`` ``None`` = not yet),
  its ``progress`` notes ``(day, percent, note)`` and optionally ``created`` (days
  relative to today), ``subtasks``, ``blocked``, ``reassign`` and ``acknowledged``.

The framework is a list of ``(name, code prefix, action priority, description, [(sub name,
action priority, description)])``; JSON has no tuples, so they are made tuples again here,
as are an open problem's ``schedule``, ``progress`` and ``subtasks`` entries and its
``blocked`` and ``reassign``.
"""

from __future__ import annotations

import json
from pathlib import Path

_OPEN_ROWS = ("schedule", "progress", "subtasks")
_OPEN_PAIRS = ("blocked", "reassign")


def _category(raw: list) -> tuple:
    name, prefix, priority, description, subs = raw
    return (name, prefix, priority, description, [tuple(sub) for sub in subs])


def _problem(raw: dict) -> dict:
    opened = raw.get("open")
    if opened is not None:
        for key in _OPEN_ROWS:
            if key in opened:
                opened[key] = [tuple(row) for row in opened[key]]
        for key in _OPEN_PAIRS:
            if key in opened:
                opened[key] = tuple(opened[key])
    return raw


_DATA = json.loads((Path(__file__).with_name("demo_data.json")).read_text(encoding="utf-8"))

# --- the framework (思维导图) ------------------------------------------------------------
CATEGORIES = [_category(raw) for raw in _DATA["categories"]]
# --- progress notes of closed problems: {m} is the milestone just done, {next} the next ----
PROGRESS_NOTES = _DATA["progress_notes"]
PROGRESS_LAST = _DATA["progress_last"]
# --- the 92 problems of the first task force ---------------------------------------------
PROBLEMS = [_problem(raw) for raw in _DATA["problems"]]
# --- the second task force: 对公存款攻坚小组 ------------------------------------------------
SECOND_CATEGORIES = [_category(raw) for raw in _DATA["second_categories"]]
SECOND_PROBLEMS = [_problem(raw) for raw in _DATA["second_problems"]]
