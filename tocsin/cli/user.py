"""``tocsin user``: manage accounts."""

from __future__ import annotations

import typer

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.cli.common import Table, console, transaction
from tocsin.i18n import _

app = typer.Typer(name="user", help="Manage user accounts: add, list, disable, set-role.",
                  no_args_is_help=True)


def _role(value: str) -> Role:
    try:
        return Role.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def add(
    username: str,
    role: str = typer.Option(..., help="administrator, coordinator, analyst, fund_manager, "
                             "partner_viewer or dp_officer (data-protection officer)."),
    unit: str = typer.Option(..., help="Code of the user's unit, e.g. tntd-spmu."),
    full_name: str = typer.Option("", help="Display name."),
    password: str | None = typer.Option(None, help="Initial password; generated if omitted.",
                                        envvar="TOCSIN_NEW_USER_PASSWORD"),
) -> None:
    """Add a user (prints a generated password once if none is given).

    Example: tocsin user add analyst1 --role analyst --unit tntd-spmu
    """
    secret = password or users.generate_password()
    with transaction() as session:
        users.add_user(session, Principal.system(), username, secret, _role(role), unit,
                       full_name)
    console.print(_("Added %(username)s (%(role)s, %(unit)s).", username=username, role=role,
                    unit=unit))
    if not password:
        console.print(_("Initial password (shown once): %(password)s",
                        password="[bold]" + secret + "[/]"))


@app.command("list")
def list_() -> None:
    """List users with their role, unit and status.

    Example: tocsin user list
    """
    with transaction() as session:
        table = Table(_("username"), _("name"), _("role"), _("unit"), _("active"))
        for u in users.list_users(session):
            table.add_row(u.username, u.full_name, u.role, u.unit.code,
                          _("yes") if u.active else _("no"))
    console.print(table)


@app.command()
def disable(username: str) -> None:
    """Disable a user and end their sessions.

    Example: tocsin user disable analyst1
    """
    with transaction() as session:
        users.set_active(session, Principal.system(), username, False)
    console.print(_("Disabled %(username)s.", username=username))


@app.command()
def enable(username: str) -> None:
    """Enable a disabled user again.

    Example: tocsin user enable analyst1
    """
    with transaction() as session:
        users.set_active(session, Principal.system(), username, True)
    console.print(_("Enabled %(username)s.", username=username))


@app.command("set-role")
def set_role(
    username: str,
    role: str,
    unit: str | None = typer.Option(None, help="Move the user to this unit as well."),
) -> None:
    """Change a user's role (and optionally unit).

    Example: tocsin user set-role analyst1 coordinator
    """
    with transaction() as session:
        users.set_role(session, Principal.system(), username, _role(role), unit)
    console.print(_("%(username)s is now %(role)s.", username=username, role=role))
