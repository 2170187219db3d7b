"""What the database refuses when two saves meet becomes an error a form can show, with
the session ready for the next query: never a bare 500, never a PendingRollbackError."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import create_app
from app.core.errors import DuplicateKey, StaleEdit, ValidationFailed
from app.extensions import db
from app.people.models import OrgUnit, User
from tests import factories


def _saved_meanwhile(unit: OrgUnit) -> None:
    """Another connection saves the unit, as another person's request would."""
    with db.engine.begin() as other:
        other.execute(
            update(OrgUnit.__table__)
            .where(OrgUnit.__table__.c.id == unit.id)
            .values(name="别人改的名字", version=OrgUnit.__table__.c.version + 1)
        )


def test_a_save_that_lost_the_race_at_commit_is_a_stale_edit(ctx):
    unit = factories.make_org_unit("长春分行")
    assert unit.version == 1
    _saved_meanwhile(unit)
    unit.name = "我改的名字"
    with pytest.raises(StaleEdit):
        db.session.commit()
    # Rolled back already: the next query works and sees the other save.
    assert db.session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit.id)) == "别人改的名字"
    assert unit.version == 2


def test_a_save_that_lost_the_race_in_an_autoflush_is_a_stale_edit(ctx):
    unit = factories.make_org_unit("长春分行")
    _saved_meanwhile(unit)
    unit.name = "我改的名字"
    with pytest.raises(StaleEdit):
        db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == "我改的名字"))
    assert db.session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit.id)) == "别人改的名字"


def test_a_repeated_unique_key_is_a_validation_error_and_still_an_integrity_error(ctx):
    factories.make_user("wangfang")
    db.session.add(
        User(
            username="wangfang", email="other@example.test", display_name="王芳", password_hash="x"
        )
    )
    with pytest.raises(DuplicateKey) as refused:
        db.session.commit()
    assert isinstance(refused.value, ValidationFailed) and refused.value.message
    assert isinstance(refused.value, IntegrityError)  # for code that retries on one
    assert db.session.scalar(select(User.id).where(User.email == "other@example.test")) is None


def test_other_refusals_stay_what_they_are(ctx):
    db.session.add(User(username=None, email="nobody@example.test", display_name="无名"))
    with pytest.raises(IntegrityError) as refused:
        db.session.commit()
    assert not isinstance(refused.value, DuplicateKey)
    db.session.rollback()


@pytest.fixture
def fresh_app(app):
    """An application on the same database that may still get routes of the test's own."""
    other = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        WTF_CSRF_ENABLED=False,
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in(app):
    client = app.test_client()
    client.post("/login", data={"login": "member", "password": factories.PASSWORD})
    return client


def test_a_stale_save_that_reaches_no_form_answers_409_in_a_working_page(fresh_app, world):
    @fresh_app.get("/__stale_race")
    def stale_race():
        raise StaleDataError("UPDATE matched no row")

    stale_race.required_action = "home.view"
    response = _signed_in(fresh_app).get("/__stale_race")
    assert response.status_code == 409
    assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_an_error_page_after_a_failed_flush_rolls_back_first(fresh_app, world):
    """The page's menu reads the database: without a rollback, a failed flush left the
    session unusable and the error handler itself failed (PendingRollbackError)."""

    @fresh_app.get("/__failed_flush")
    def failed_flush():
        db.session.add(User(username=None, email="nobody@example.test", display_name="无名"))
        db.session.flush()  # a NOT NULL refusal, not a race: nothing translates it

    failed_flush.required_action = "home.view"
    response = _signed_in(fresh_app).get("/__failed_flush")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-testid="error-page"' in page and "navbar" in page
