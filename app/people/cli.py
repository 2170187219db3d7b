"""``flask users …``: accounts from the command line (the first admin comes from here)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.errors import ValidationFailed
from app.core.permissions import GLOBAL_ROLES
from app.core.unit import committed
from app.people import service

# An AppGroup runs each command inside the app context, however it is invoked
# (the ``flask`` script, or ``app.test_cli_runner()``).
users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(GLOBAL_ROLES), default="staff", show_default=True)
@click.option("--email", help="Defaults to USERNAME@localhost.")
@click.option("--name", "display_name", help="Display name; defaults to the username.")
@click.option("--locale", type=click.Choice(service.LOCALES), default="zh_CN", show_default=True)
@click.password_option(help="Prompted for when not given.")
@committed
def create_user(username, role, email, display_name, locale, password):
    """Create an account, e.g. the first admin: flask users create --username NAME --role admin"""
    data = service.UserInput(
        username=username,
        email=email or f"{username}@localhost",
        display_name=display_name or username,
        role=role,
        locale=locale,
        password=password,
    )
    try:
        user = service.create_user(None, data)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role})")


@users.command("list")
def list_users():
    """Print every account."""
    from sqlalchemy import select

    from app.extensions import db
    from app.people.models import User

    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username}\t{user.role}\t{state}\t{user.email}")


def register(app: Flask) -> None:
    app.cli.add_command(users)
