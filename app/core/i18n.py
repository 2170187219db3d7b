"""Translation on the hot path: a page prints dozens of strings and labels.

Flask-Babel finds the current catalogue anew for every string (five context look-ups
and a locale-to-text conversion each time); on a cached page that was a tenth of the
request. Here the catalogue is looked up once per locale and kept for the process, as
Flask-Babel itself keeps it, and label tables (statuses, priorities, kinds…) are
translated once per locale instead of once per request.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Any

import flask
from babel import support
from flask import g
from flask_babel import format_date, format_datetime, get_locale, get_translations
from sqlalchemy import LargeBinary
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from wtforms.i18n import messages_path

from app.core import clock

_catalogues: dict[Any, Any] = {}


def current_locale():
    # Flask-Babel keeps the request's locale (or the one ``force_locale`` set) here.
    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    return locale if locale is not None else get_locale()


def catalogue():
    """The current locale's translations (a null catalogue outside a request)."""
    locale = current_locale()
    if locale is None:
        return get_translations()
    found = _catalogues.get(locale)
    if found is None:
        found = _catalogues[locale] = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext`` through the kept catalogue, for code that writes many
    strings (a reminder pass renders a message per person in their language)."""
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def install(app) -> None:
    """Jinja's ``_``/``gettext``/``ngettext`` through the kept catalogue (after Babel's
    setup). Jinja's new-style calls fill in the values themselves."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: catalogue().ugettext(string),
        ngettext=lambda singular, plural, n: catalogue().ungettext(singular, plural, n),
        pgettext=lambda context, string: catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: catalogue().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    app.request_class = Request


class Request(flask.Request):
    @cached_property
    def wtforms_translations(self):
        """WTForms' own messages (a required field, a number expected) in the request's
        language, where Flask-WTF looks for them (``flask_wtf.i18n``): it read their
        catalogue from disk at every request that drew a form; kept per language here."""
        return _wtforms_catalogue(str(current_locale()))


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Labels:
    """``labels(key)`` is the key's label in the current language, else the key itself.

    Built from a mapping of keys to lazy strings; each language's table is translated
    the first time it is asked for.
    """

    def __init__(self, lazy: Mapping[Hashable, Any]):
        self._lazy = lazy
        self._tables: dict[Any, dict] = {}

    def __call__(self, key):
        locale = current_locale()
        table = self._tables.get(locale)
        if table is None:
            table = self._tables[locale] = {k: str(v) for k, v in self._lazy.items()}
        return table.get(key, key)


def format_moment(value: datetime | None, format: str = "short") -> str:
    """An instant as a person in ``TIMEZONE`` reads it, in their language
    (2026/12/7 15:00 · 12/7/26, 3:00 PM).

    :raise NaiveDatetime: for a datetime without a zone: every instant is aware.
    """
    if value is None:
        return ""
    return format_datetime(clock.local(value), format, rebase=False)


def format_day(value: date | datetime | None, format: str = "medium") -> str:
    """A day (2026年12月7日 · Dec 7, 2026); an instant gives its day in ``TIMEZONE``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local_date(value)
    if not g:
        return format_date(value, format)
    # Kept by the process: a board or a list writes the same few days hundreds of
    # times, and Babel's formatting is the costliest part of its cell. A day's text in
    # a language never changes.
    return _day_text(value, format, current_locale())


@lru_cache(maxsize=4096)
def _day_text(value: date, format: str, locale: Hashable) -> str:
    """``value`` in ``locale``, which must be the request's (the key of the text)."""
    return format_date(value, format)


def format_clock(value: datetime | None) -> str:
    """An instant's wall-clock time in ``TIMEZONE``, ``15:00``."""
    return clock.local(value).strftime("%H:%M") if value is not None else ""


def local_stamp(value: datetime | None) -> str:
    """An instant as ``2026-12-07 15:00`` in ``TIMEZONE``, for files and plain-text messages."""
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def pinyin_key(text: str | None) -> bytes:
    """A sort key that puts Chinese names in pinyin order (陈 < 李 < 刘 < 王 < 张).

    No pinyin table is at hand offline, but GB2312 — of which GB18030 is a superset —
    encodes its 3,755 level-1 characters (the common ones, nearly every surname and
    name) in pinyin order, so the GB18030 bytes of a name sort it by pinyin. Level-2
    characters (rare in names) come after them, by radical and stroke count; the
    characters GB2312 lacks (GBK's and GB18030's additions, encoded before or between
    GB2312's) are put after all of these. Latin letters and digits come before every
    Chinese character, compared without case. GB18030 encodes all of Unicode, so no
    text fails.
    """
    key = bytearray()
    for char in (text or "").casefold():
        code = char.encode("gb18030")
        in_gb2312 = len(code) == 1 or (len(code) == 2 and code[0] >= 0xA1 and code[1] >= 0xA1)
        key += code if in_gb2312 else b"\xff" + code
    return bytes(key)


class pinyin_order(FunctionElement):
    """``ORDER BY pinyin_order(User.display_name)``: PostgreSQL compares the GB18030
    bytes (``convert_to``), as ``pinyin_key`` does for GB2312's characters; SQLite has
    no such conversion and orders by the text, so a query that must be in pinyin order
    on both sorts its rows with ``pinyin_key`` afterwards."""

    type = LargeBinary()
    inherit_cache = True


@compiles(pinyin_order)
def _pinyin_order_plain(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(pinyin_order, "postgresql")
def _pinyin_order_postgresql(element, compiler, **kw):
    return f"convert_to(lower({compiler.process(element.clauses, **kw)}), 'GB18030')"
