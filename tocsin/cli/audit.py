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
    from tocsin.settings import get_settings

    key = get_settings().audit_hmac_key()
    with database() as db, db.engine.connect() as conn:
        report = chain.verify(conn, key)
    console.print(f"Checked {report.rows} chained rows; chain head at position "
                  f"{report.head_seq}, hash {report.head_hash}")
    if report.unchained:
        console.print(f"{report.unchained} older rows predate the hash chain (not checked)")
    if report.ok:
        console.print("[bold green]The audit log is intact.[/]")
        return
    for finding in report.findings:
        err_console.print(f"[bold red]{finding.kind}:[/] {finding.message}", highlight=False)
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

    if sql:
        for statement in audit_grants.grant_statements(sql):
            console.print(f"{statement};", highlight=False, soft_wrap=True)
        return
    with database() as db, db.engine.connect() as conn:
        report = audit_grants.check(conn)
    console.print(f"Connected as {report.role}; the audit log belongs to {report.owner}.")
    for fact in report.facts:
        console.print(f"  {fact}", highlight=False)
    if report.ok:
        console.print(f"[bold green]{report.role} cannot alter, delete or drop audit rows.[/]")
        return
    for finding in report.findings:
        err_console.print(f"[bold red]can:[/] {finding}", highlight=False)
    raise typer.Exit(code=1)
