"""@mentions in a comment: who "@刘洋" names.

The picker writes "@<name>" into the text; a person typing it does the same. A mention
is the longest name, following an "@", of a person on the task force today; an "@" that
follows a letter or digit is an address (``li@bank.cn``), not a mention. A name that is
only the name of someone off the task force is refused (``outsiders``): they could not
read the comment they would be told of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from app.people.roster import active_member_ids

LONGEST_NAME = 20
# What ends a name: spaces and the punctuation that may follow it, in either script.
_END = re.compile(r"[\s@,.;:!?()\[\]{}<>\"'，。；：！？、（）【】《》“”‘’]")


@dataclass
class Mentions:
    people: list[User] = field(default_factory=list)  # on the task force, each once
    outsiders: list[str] = field(default_factory=list)  # names of people who are not


def _candidates(text: str) -> list[str]:
    """What follows each "@" that may start a mention, up to where a name must end."""
    found = []
    for match in re.finditer("@", text or ""):
        before = text[match.start() - 1] if match.start() else ""
        if before.isascii() and before.isalnum():
            continue
        rest = text[match.end() : match.end() + LONGEST_NAME]
        end = _END.search(rest)
        rest = rest[: end.start()] if end else rest
        if rest:
            found.append(rest)
    return found


def find(task_force_id: int, text: str) -> Mentions:
    """The people ``text`` mentions, and the names it mentions of people off the task
    force. Two queries, however many mentions."""
    candidates = _candidates(text)
    if not candidates:
        return Mentions()
    prefixes = {c[:n] for c in candidates for n in range(1, len(c) + 1)}
    users = list(
        db.session.scalars(
            select(User).where(User.display_name.in_(prefixes), User.active.is_(True))
        )
    )
    members = active_member_ids(task_force_id)
    by_name: dict[str, list[User]] = {}
    for user in users:
        by_name.setdefault(user.display_name, []).append(user)
    result = Mentions()
    seen: set[int] = set()
    for candidate in candidates:
        named = _longest(candidate, by_name, lambda u: u.id in members)
        if named:
            for user in named:
                if user.id not in seen:
                    seen.add(user.id)
                    result.people.append(user)
            continue
        outside = _longest(candidate, by_name, lambda u: True)
        if outside and outside[0].display_name not in result.outsiders:
            result.outsiders.append(outside[0].display_name)
    return result


def _longest(candidate: str, by_name: dict[str, list[User]], keep) -> list[User]:
    for size in range(len(candidate), 0, -1):
        people = [u for u in by_name.get(candidate[:size], []) if keep(u)]
        if people:
            return people
    return []
