"""Chinese first, English second; every string goes through the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.people.models import User

ROOT = Path(__file__).resolve().parents[2]


def test_the_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page


def test_the_browsers_language_is_honoured_before_login(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page and "Log in" in page
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(
        as_text=True
    )
    assert "登录" in page


def test_a_users_language_choice_is_kept_on_the_account(app, world, auth, client):
    auth.login("member")
    client.post("/locale", data={"locale": "en", "next": "/roster"})
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.username == "member")) == "en"
    auth.logout()
    other = app.test_client()
    other.post("/login", data={"login": "member", "password": "correct horse 1"})
    page = other.get("/roster", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Roster" in page and "小组成员" not in page


def test_dates_read_naturally_in_chinese(app, world, auth, client):
    auth.login("leader")
    page = client.get("/roster").get_data(as_text=True)
    assert "年" in page and "月" in page and "日" in page


def test_every_message_in_the_code_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--no-location",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert len(wanted) > 150  # the extraction really ran over the code and templates
    with (ROOT / "translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], "run `make extract-messages` and translate: " + "; ".join(missing[:20])


def test_wtforms_own_messages_speak_the_requests_language(app):
    """A number field given letters answers with WTForms' own message, in Chinese or in
    English (its catalogue kept per language, not read from disk at every request)."""
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms import IntegerField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        count = IntegerField()

    said = {}
    for _ in range(2):
        for language in ("zh-CN", "en"):
            with app.test_request_context("/", headers={"Accept-Language": language}):
                form = Form(formdata=MultiDict({"count": "abc"}))
                assert not form.validate()
                said.setdefault(language, set()).add(form.count.errors[0])
    assert said["en"] == {"Not a valid integer value."}
    (chinese,) = said["zh-CN"]
    assert chinese != "Not a valid integer value." and "整数" in chinese
