"""Platform commands: init, serve, demo, backup, restore (``tocsin audit`` has its group)."""

from __future__ import annotations

from pathlib import Path

import typer

from tocsin.i18n import N_, _
from tocsin.settings import get_settings

# Everything else is imported inside the commands: ``tocsin --help`` loads this module and
# must stay quick (tests/cli/test_startup.py).


#: The words of ``init``'s reference-data counts (tocsin.reference.load.SyncReport.counts).
_CHANGES = {"inserted": N_("inserted"), "updated": N_("updated"), "unchanged": N_("unchanged"),
            "retired": N_("retired"), "removed": N_("removed"),
            "units created": N_("units created"), "units updated": N_("units updated")}


def init() -> None:
    """Create or migrate the database and load the reference data (safe to run twice).

    Example: tocsin init
    """
    from tocsin.cli.common import console
    from tocsin.lifecycle import init_platform

    report = init_platform(get_settings())
    console.print(_("Database: %(database)s", database=report.database))
    console.print(_("Schema revisions: %(revisions)s", revisions=", ".join(report.revisions)))
    changes = ", ".join(f"{_CHANGES.get(k, k)} {v}" for k, v in report.reference_changes.items())
    console.print(_("Reference data %(version)s: %(changes)s",
                    version=report.reference_version, changes=changes))


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Load the fictional demo workspace."),
    workers: int = typer.Option(1, min=1, max=32, help="Server processes; they share the "
                                "database and its job list (each job runs in one of them)."),
) -> None:
    """Start the web platform (initialises the database first).

    It speaks plain HTTP: in production put a TLS-terminating proxy in front of it and
    name that proxy in TOCSIN_TRUSTED_PROXIES, so login throttling sees the real client
    addresses (docs/security.md, "Running behind a TLS proxy").

    Example: tocsin serve --demo --port 8000
    """
    import os

    import uvicorn

    from tocsin.cli.common import console
    from tocsin.demo.workspace import load_demo
    from tocsin.lifecycle import init_platform
    from tocsin.web.app import create_app

    settings = get_settings().model_copy(update={"demo": demo or get_settings().demo})
    settings.secret()  # refuse a missing or placeholder secret before anything starts
    init_platform(settings)
    if settings.demo:
        report = load_demo(settings)
        banner = _("Demo workspace: all content is fictional.")
        console.print(f"[bold yellow]{banner}[/]")
        for line in report.credentials_lines():
            console.print(line)
    address = f"[bold]http://{host}:{port}/[/]"
    console.print(_("Tocsin is running at %(address)s (Ctrl+C stops it)", address=address))
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                    proxy_headers=False)
        return
    # Each worker process builds its own application from the environment.
    os.environ["TOCSIN_DEMO"] = "true" if settings.demo else "false"
    uvicorn.run("tocsin.web.app:create_app", factory=True, workers=workers, host=host,
                port=port, log_level="warning", proxy_headers=False)


def demo() -> None:
    """Load the fictional demo workspace (users, programmes, lessons, events, a money case).

    Example: tocsin demo
    """
    from tocsin.cli.common import console
    from tocsin.demo.workspace import load_demo
    from tocsin.lifecycle import init_platform

    settings = get_settings().model_copy(update={"demo": True})
    init_platform(settings)
    report = load_demo(settings)
    banner = _("Demo workspace loaded: all content is fictional.")
    console.print(f"[bold yellow]{banner}[/]")
    for line in report.summary_lines() + report.credentials_lines():
        console.print(line)


def backup(path: Path = typer.Argument(..., help="Zip file to write."),
           encrypt: bool = typer.Option(False, "--encrypt", help="Encrypt the backup with a "
                                        "passphrase (asked for, or TOCSIN_BACKUP_PASSPHRASE).")
           ) -> None:
    """Back up the database and the data folder to one file readable by its owner only.

    Example: tocsin backup --encrypt /srv/backups/tocsin-2026-11-22.zip
    """
    from tocsin.cli.common import console, database
    from tocsin.store import backup as backups

    settings = get_settings()
    passphrase = _passphrase(confirm=True) if encrypt else None
    with database() as db:
        report = backups.backup(db.engine, settings.data_dir, path, passphrase=passphrase)
    console.print(_("Wrote %(path)s: %(rows)s rows, %(files)s files", path=report.path,
                    rows=sum(report.rows.values()), files=report.files))


def restore(path: Path = typer.Argument(..., exists=True, help="Backup zip to restore."),
            check: bool = typer.Option(False, "--check", help="Only check the backup: read "
                                       "and validate its manifest, every row and every "
                                       "stored file as a restore would, and change nothing.")
            ) -> None:
    """Replace the database content and data folder with a backup.

    Example: tocsin restore /srv/backups/tocsin-2026-11-22.zip
    """
    from tocsin.cli.common import console, database
    from tocsin.store import backup as backups
    from tocsin.store.private import is_encrypted, opened_backup

    settings = get_settings()
    passphrase = _passphrase(confirm=False) if is_encrypted(path) else None
    if check:
        with database() as db, \
                opened_backup(path, passphrase, settings.data_dir / ".restoring") as plain:
            report = backups.check(db.engine, settings.data_dir, plain)
        console.print(_("Checked %(rows)s rows and %(files)s files: the backup can be "
                        "restored; nothing was changed",
                        rows=sum(report.rows.values()), files=report.files))
        return
    with database() as db:
        report = backups.restore_file(db.engine, settings.data_dir, path, passphrase,
                                      audit_key=settings.audit_hmac_key())
    console.print(_("Restored %(rows)s rows and %(files)s files",
                    rows=sum(report.rows.values()), files=report.files))


def _passphrase(confirm: bool) -> str:
    """The backup passphrase: ``TOCSIN_BACKUP_PASSPHRASE``, else asked without echo."""
    import os

    value = os.environ.get("TOCSIN_BACKUP_PASSPHRASE") or typer.prompt(
        _("Backup passphrase"), hide_input=True,
        confirmation_prompt=_("Repeat for confirmation") if confirm else False,
        prompt_suffix=_(": "))  # French: a space before the colon
    if len(value) < 12:
        raise typer.BadParameter(N_("use a passphrase of at least 12 characters"))
    return str(value)


def register(app: typer.Typer) -> None:
    for command in (init, serve, demo, backup, restore):
        app.command()(command)
