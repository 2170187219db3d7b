"""Error pages in the site's layout, in both languages."""

import pytest
from sqlalchemy import update

from app.extensions import db
from app.people.models import User


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh_CN", "页面不存在"), ("en", "Page not found")],
)
def test_404_in_both_languages(app, world, auth, client, locale, expected):
    with app.app_context():
        db.session.execute(update(User).where(User.username == "member").values(locale=locale))
        db.session.commit()
    auth.login("member")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert expected in page
    assert 'data-testid="error-page"' in page and "navbar" in page


def test_403_page(app, world, auth, client):
    auth.login("member")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_409_when_a_stale_edit_reaches_an_error_page(tmp_path):
    from app import create_app
    from app.core.errors import StaleEdit

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 's.db'}")

    @app.get("/__stale")
    def stale():
        raise StaleEdit("已被他人修改")

    stale.is_public = True
    response = app.test_client().get("/__stale")
    assert response.status_code == 409
    assert "已被他人修改" in response.get_data(as_text=True)


def test_500_page_hides_the_error(tmp_path):
    from app import create_app

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e.db'}",
        PROPAGATE_EXCEPTIONS=False,
    )

    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.is_public = True
    response = app.test_client().get("/__boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internals" not in page
