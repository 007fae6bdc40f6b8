"""``tocsin partners``: partner organizations, agreements and expiry warnings."""

from __future__ import annotations

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.taskforce.partners import records

app = typer.Typer(name="partners", help="Partners and co-operation agreements: list them and "
                  "see which agreements expire soon.", no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")


@app.command("list")
def list_(kind: str | None = typer.Option(None, help="Only this kind, e.g. civil_society."),
          as_user: str | None = AS) -> None:
    """List partner organizations with their focal points.

    Example: tocsin partners list --kind international_organization
    """
    with transaction() as session:
        table = Table("id", "name", "kind", "code", "focal points")
        for p in records.list_partners(session, acting_as(session, as_user), kind=kind):
            table.add_row(str(p.id), p.name, p.kind, p.reference_code or "",
                          "; ".join(f"{f.name} <{f.email}>" for f in p.focal_points))
    console.print(table)


@app.command()
def agreements(as_user: str | None = AS) -> None:
    """List agreements with their parties and dates.

    Example: tocsin partners agreements
    """
    with transaction() as session:
        table = Table("id", "kind", "title", "parties", "status", "expires")
        for a in records.list_agreements(session, acting_as(session, as_user)):
            table.add_row(str(a.id), a.kind, a.title,
                          ", ".join(p.partner.label for p in a.parties), a.status,
                          a.expires_on.isoformat() if a.expires_on else "")
    console.print(table)


@app.command()
def expiring(days: int = typer.Option(records.DEFAULT_EXPIRY_WARNING_DAYS,
                                      help="Warn about agreements expiring within this many days."),
             as_user: str | None = AS) -> None:
    """Agreements in force that expire soon (or have lapsed).

    Example: tocsin partners expiring --days 60
    """
    with transaction() as session:
        table = Table("id", "title", "expires", "days left")
        for e in records.expiring_agreements(session, acting_as(session, as_user), days):
            table.add_row(str(e.agreement.id), e.agreement.title,
                          str(e.agreement.expires_on), str(e.days_left))
    console.print(table)
