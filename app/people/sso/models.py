"""The single sign-on providers an administrator has set up: one row per kind."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import TimestampMixin, VersionMixin
from app.extensions import db


class SignInProvider(TimestampMixin, VersionMixin, db.Model):
    """How one way in is reached: the bank's OpenID Connect provider, WeCom, DingTalk
    or Feishu. ``client_id`` is the OIDC client id, the WeCom corp id, the DingTalk app
    key (client id) or the Feishu app id; ``client_secret`` is kept sealed
    (``core/sealing.py``) and shown masked."""

    __tablename__ = "sign_in_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    # OpenID Connect: the issuer (its discovery document is read from
    # ``<issuer>/.well-known/openid-configuration``) and the scopes asked for.
    issuer: Mapped[str] = mapped_column(String(500), default="")
    scopes: Mapped[str] = mapped_column(String(300), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    client_secret: Mapped[str] = mapped_column(Text, default="")
    # WeCom: the application's agent id.
    agent_id: Mapped[str] = mapped_column(String(64), default="")
    # The first sign-in of an account of this way in may find it by a verified e-mail
    # address or by its mobile number (never by name), and then links it.
    link_by_email: Mapped[bool] = mapped_column(default=False)
    link_by_mobile: Mapped[bool] = mapped_column(default=False)
