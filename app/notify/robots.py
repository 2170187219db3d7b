"""What the group robots are sent: real mentions, and text that fits each platform.

Mentions. A message is for people (its recipient; a mention adds others): the robot
mentions each of them by what their account says (an administrator fills it in).

- WeCom (企业微信) text: ``mentioned_list`` (userids) and ``mentioned_mobile_list``; the
  robot adds the "@name" itself.
- DingTalk (钉钉) text: ``at.atUserIds`` and ``at.atMobiles``, and the text must contain
  "@<userId>" or "@<mobile>" where the mention shows.
- Feishu (飞书) text: ``<at user_id="ou_…">name</at>`` in the text.

A person with nothing to be mentioned by is named as "@name", plain text.

Limits. WeCom's ``text.content`` holds 2,048 bytes of UTF-8 (``markdown.content``
4,096; the robot is sent text, which carries the mentions); DingTalk refuses a request body
over 20,000 bytes ("message too long, exceed 20000 bytes", errcode 460101); Feishu's custom
bot a body over 20 KB (kept at 20,000 bytes). A longer message is cut after its last whole
line that fits and ends with "……共 N 项" (the items it listed in all) and its link; a
single line too long on its own is cut between two characters, never inside one.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from app.notify.models import DINGTALK, FEISHU, WECOM

WECOM_TEXT_BYTES = 2048
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_BODY_BYTES = 20_000
FEISHU_BODY_BYTES = 20_000

BULLET = "• "


@dataclass(frozen=True)
class Mention:
    """A person a robot message mentions, and what each platform knows them by."""

    name: str
    mobile: str = ""
    wecom_userid: str = ""
    dingtalk_userid: str = ""
    feishu_user_id: str = ""

    @classmethod
    def of(cls, user) -> Mention:
        """From an account (``User``) or a row with the same columns."""
        return cls(
            name=user.display_name,
            mobile=user.mobile or "",
            wecom_userid=user.wecom_userid or "",
            dingtalk_userid=user.dingtalk_userid or "",
            feishu_user_id=user.feishu_user_id or "",
        )


def _plain(person: Mention) -> str:
    return f"@{person.name}"


def mention_prefix(kind: str, people: tuple[Mention, ...]) -> str:
    """How the text names the people it is for, on ``kind``'s robot ("" for nobody)."""
    tokens = []
    for person in people:
        if kind == WECOM and (person.wecom_userid or person.mobile):
            continue  # the robot adds "@name" for the mentioned lists
        if kind == DINGTALK and (person.dingtalk_userid or person.mobile):
            tokens.append(f"@{person.dingtalk_userid or person.mobile}")
        elif kind == FEISHU and person.feishu_user_id:
            user_id = html.escape(person.feishu_user_id, quote=True)
            tokens.append(f'<at user_id="{user_id}">{html.escape(person.name)}</at>')
        else:
            tokens.append(_plain(person))
    return " ".join(tokens) + " " if tokens else ""


def wecom_mentions(people: tuple[Mention, ...]) -> dict:
    userids = [p.wecom_userid for p in people if p.wecom_userid]
    mobiles = [p.mobile for p in people if p.mobile and not p.wecom_userid]
    fields: dict = {}
    if userids:
        fields["mentioned_list"] = userids
    if mobiles:
        fields["mentioned_mobile_list"] = mobiles
    return fields


def dingtalk_at(people: tuple[Mention, ...]) -> dict:
    return {
        "atUserIds": [p.dingtalk_userid for p in people if p.dingtalk_userid],
        "atMobiles": [p.mobile for p in people if p.mobile and not p.dingtalk_userid],
        "isAtAll": False,
    }


# --- fitting the limits --------------------------------------------------------------------


def bytes_at_most(limit: int) -> Callable[[str], bool]:
    """A test that a text is at most ``limit`` bytes of UTF-8."""
    return lambda text: len(text.encode("utf-8")) <= limit


def body_at_most(limit: int, payload: Callable[[str], dict]) -> Callable[[str], bool]:
    """A test that the request body carrying a text is at most ``limit`` bytes, as sent."""
    return lambda text: len(json.dumps(payload(text), ensure_ascii=False).encode()) <= limit


def _more_line() -> re.Pattern:
    """The "… and N more." line a grouped reminder ends with, in the current language."""
    sample = _("… and %(n)d more.", n=0)
    before, _sep, after = sample.partition("0")
    return re.compile(re.escape(before) + r"(\d+)" + re.escape(after))


def item_count(lines: list[str]) -> int:
    """The items a message lists: its "• " lines and the "… and N more" beyond them."""
    more = _more_line()
    count = 0
    for line in lines:
        if line.startswith(BULLET):
            count += 1
        elif match := more.fullmatch(line.strip()):
            count += int(match.group(1))
    return count


def _compose(prefix: str, lines: list[str], link: str | None) -> str:
    return prefix + "\n".join(lines) + (f"\n{link}" if link else "")


def fit(prefix: str, text: str, link: str | None, fits: Callable[[str], bool], locale: str) -> str:
    """``prefix`` + ``text`` + ``link`` as one text that ``fits``, cut if need be."""
    lines = text.splitlines() or [""]
    whole = _compose(prefix, lines, link)
    if fits(whole):
        return whole
    with force_locale(locale):
        total = item_count(lines)
        tail = _("…… %(n)d items in all", n=total) if total else "……"
    kept: list[str] = []
    for line in lines:
        if not fits(_compose(prefix, [*kept, line, tail], link)):
            break
        kept.append(line)
    if not kept:  # the first line alone is too long: cut it between two characters
        first, low, high = lines[0], 0, len(lines[0])
        while low < high:
            middle = (low + high + 1) // 2
            if fits(_compose(prefix, [first[:middle] + "…", tail], link)):
                low = middle
            else:
                high = middle - 1
        kept = [first[:low] + "…"]
    return _compose(prefix, [*kept, tail], link)
