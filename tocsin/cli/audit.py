"""``tocsin audit``: show the audit log, verify its hash chain, check who may change it."""

from __future__ import annotations

from datetime import datetime

import typer

app = typer.Typer(name="audit", help="Show the audit log, verify its hash chain, check grants.",
                  invoke_without_command=True)


@app.callback()
def show(
    ctx: typer.Context,
    since: datetime | None = typer.Option(None, help="Only entries at or after this time (ISO)."),
    user: str | None = typer.Option(None, help="Only entries of this username."),
    record: str | None = typer.Option(None, help="Only this record: TYPE or TYPE:ID."),
    limit: int = typer.Option(200, help="At most this many entries, newest first."),
) -> None:
    """Show the audit log (newest first), or run one of the commands below.

    Example: tocsin audit --since 2026-01-01 --user analyst --record activity:12
    """
    if ctx.invoked_subcommand is not None:
        return
    from tocsin.access import audit as audit_log
    from tocsin.cli.common import Table, console, database

    with database() as db, db.transaction() as session:
        entries = audit_log.query(session, since=since, username=user, record=record,
                                  limit=limit)
        table = Table("time", "user", "action", "record", "handling", "detail")
        for e in entries:
            table.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.username, e.action,
                          f"{e.record_type}:{e.record_id}".strip(":"), e.handling, e.detail)
    console.print(table)


@app.command()
def verify() -> None:
    """Check every row of the audit log against its HMAC and the chain; exits 1 and names
    each deleted, altered or forged row when the log was tampered with.

    Example: tocsin audit verify
    """
    from tocsin.access import chain
    from tocsin.cli.common import console, database, err_console
    from tocsin.i18n import _
    from tocsin.settings import get_settings

    key = get_settings().audit_hmac_key()
    with database() as db, db.engine.connect() as conn:
        report = chain.verify(conn, key)
    console.print(_("Checked %(rows)s chained rows; chain head at position %(position)s, hash "
                    "%(hash)s", rows=report.rows, position=report.head_seq,
                    hash=report.head_hash), highlight=False)
    if report.unchained:
        console.print(_("%(count)s older rows predate the hash chain (not checked)",
                        count=report.unchained))
    if report.ok:
        intact = _("The audit log is intact.")
        console.print(f"[bold green]{intact}[/]")
        return
    kinds = {"head": _("head:"), "forged": _("forged:"), "deleted": _("deleted:"),
             "altered": _("altered:")}
    for finding in report.findings:
        kind = kinds.get(finding.kind, f"{finding.kind}:")
        err_console.print(f"[bold red]{kind}[/] {finding.message}", highlight=False)
    raise typer.Exit(code=1)


@app.command()
def grants(
    sql: str | None = typer.Option(None, "--sql", metavar="APP_ROLE",
                                   help="Print the GRANT statements the owner role runs for "
                                   "this application role instead of checking."),
) -> None:
    """On PostgreSQL: check that the role Tocsin connects as cannot change, delete, truncate
    or drop the audit log nor disable its triggers (exits 1 if it can).

    Example: tocsin audit grants --sql tocsin_app
    """
    from tocsin.access import grants as audit_grants
    from tocsin.cli.common import console, database, err_console
    from tocsin.i18n import _

    if sql:
        for statement in audit_grants.grant_statements(sql):
            console.print(f"{statement};", highlight=False, soft_wrap=True)
        return
    with database() as db, db.engine.connect() as conn:
        report = audit_grants.check(conn)
    console.print(_("Connected as %(role)s; the audit log belongs to %(owner)s.",
                    role=report.role, owner=report.owner), highlight=False)
    for fact in report.facts:
        console.print(f"  {fact}", highlight=False)
    if report.ok:
        safe = _("%(role)s cannot alter, delete or drop audit rows.", role=report.role)
        console.print(f"[bold green]{safe}[/]", highlight=False)
        return
    for finding in report.findings:
        can = _("can:")
        err_console.print(f"[bold red]{can}[/] {finding}", highlight=False)
    raise typer.Exit(code=1)
