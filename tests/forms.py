"""Filling in a page's form as a browser would: what it sends is what the page shows.

``form_on(html, field)`` reads the form that holds a field named ``field``: its action and
every value it would send (hidden fields, text, the chosen options, ticked boxes,
textareas), in page order. A test changes what a person would type and posts the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str | None
    fields: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def filled(self, typed: dict[str, str]) -> list[tuple[str, str]]:
        """What the browser sends after the person typed ``typed`` (name -> value)."""
        missing = set(typed) - self.names()
        assert not missing, f"the form has no field {sorted(missing)}"
        return [(name, typed.get(name, value)) for name, value in self.fields]


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._options: list[tuple[str, bool]] = []  # value, selected
        self._option: list[str] | None = None
        self._option_value: str | None = None
        self._option_selected = False
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = Form(attrs.get("action"))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value") or "on"))
                return
            self._form.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name and "disabled" not in attrs:
            self._select = (name, "multiple" in attrs)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._option = []
            self._option_value = attrs.get("value")
            self._option_selected = "selected" in attrs
        elif tag == "textarea" and name and "disabled" not in attrs:
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option.append(data)

    def _end_option(self):
        if self._option is not None:
            value = self._option_value
            self._options.append(
                (
                    value if value is not None else "".join(self._option).strip(),
                    self._option_selected,
                )
            )
            self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            if self._form is not None:
                self._form.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # A browser drops the newline that opens a textarea's content.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            if self._form is not None:
                self._form.fields.append((name, text))
            self._textarea = None


def forms_on(html: str) -> list[Form]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.forms


def form_on(html: str, holding: str | None = None, action: str | None = None) -> Form:
    """The page's form that holds a field named ``holding``, or that posts to ``action``."""
    for form in forms_on(html):
        if (holding is None or holding in form.names()) and (
            action is None or form.action == action
        ):
            return form
    raise AssertionError(f"no form on the page holds {holding!r} and posts to {action!r}")
