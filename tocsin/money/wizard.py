"""The guided import of a transactions CSV or Excel file, step by step.

1. :func:`receive` keeps an uploaded file in a private folder of its own under
   ``<data_dir>/uploads`` and returns the folder's name (the *token*) to come
   back to; only the user who uploaded it can open it again. An exchange-rate table
   sent with it (the same YAML or CSV as the direct upload's) is checked and kept
   beside it: the preview and the import convert with it.
2. :func:`open_upload` reads it back with the mapping suggested for it: a saved
   mapping of the user's unit when one fits the file's header, else one
   suggested from the header and values (:mod:`tocsin.money.ingest.suggest`).
3. :func:`submit` checks the corrected mapping on the first rows, saves it by
   name when asked (:mod:`tocsin.money.mappings`), writes it beside the file
   and queues the import job, which owns the folder from then on. A second
   submission of the same upload returns the job already queued, so a double
   click or the back button never imports a file twice.

An upload whose wizard was left unfinished is listed by ``tocsin money
leftovers`` once it is older than an hour.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy.orm import Session

from tocsin import uploads
from tocsin.access.principal import Principal
from tocsin.access.roles import ROLE_LABELS, Action
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.i18n import N_
from tocsin.jobs import runner
from tocsin.jobs.tables import Job
from tocsin.money import jobs, mappings, sets
from tocsin.money.ingest.suggest import (
    Preview,
    Suggestion,
    fits,
    from_mapping,
    preview,
    sample,
    suggest,
)
from tocsin.money.rates import RateTable, default_rates, load_rates, resolve_rates
from tocsin.settings import Settings

STATE_FILE = "wizard.json"
#: Where the problem of a file imported before is named (the form then offers to go on).
ALREADY_IMPORTED = N_("Already imported")
MAPPING_FILE = "mapping.yaml"


@dataclass
class Upload:
    token: str
    path: Path
    #: The file's name as the user knows it.
    name: str
    #: The import job, once submitted.
    job: str | None = None
    #: The exchange-rate table sent with the file (else the shipped one is used), and
    #: its name as the user knows it.
    rates: Path | None = None
    rates_name: str = ""

    @cached_property
    def rate_table(self) -> RateTable | None:
        """The table sent with the file (checked when it was received), else ``None``;
        read once per request, by the preview and the page alike."""
        return None if self.rates is None else _rate_table(self.rates, self.rates_name)


def _rate_table(path: Path, shown: str) -> RateTable:
    """The rate table uploaded as ``shown``; its problems name it so, never by its place on
    the server."""
    try:
        return load_rates(path)
    except InputError as exc:
        raise jobs.named_as_sent(exc, {str(path): shown}) from None


def receive(settings: Settings, principal: Principal, path: Path, name: str,
            rates: Path | None = None, rates_name: str = "") -> str:
    """Take an uploaded file (in its private folder, with the exchange-rate table
    ``rates`` sent with it if any) into the wizard; its token.

    The file is checked to be a table and the rates to read now, so a wrong file is
    refused at once, named as the user knows it.
    """
    if not principal.can(Action.WRITE_OWN_UNIT):
        shutil.rmtree(path.parent, ignore_errors=True)
        raise PermissionDenied(N_("role %(role)s may not import files",
                                  role=ROLE_LABELS[principal.role]))
    shown_rates = rates_name or (rates.name if rates is not None else "")
    try:
        sample(path, name=name)
        if rates is not None:
            _rate_table(rates, shown_rates)
    except InputError:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    # the table is kept in the upload's folder, which the import job owns and removes
    kept = {"rates": rates.name, "rates_name": shown_rates} if rates is not None else {}
    return uploads.keep(path.parent, principal, STATE_FILE, file=path.name, name=name,
                        **kept)


def open_upload(settings: Settings, principal: Principal, token: str) -> Upload:
    """The caller's upload ``token``; "not found" for anyone else's or a removed one."""
    folder, data = uploads.opened(settings, principal, token, STATE_FILE)
    path = folder / str(data.get("file", ""))
    if path.parent != folder or not path.is_file():
        raise NotFound(uploads.GONE)
    job = data.get("job")
    rates = folder / str(data["rates"]) if data.get("rates") else None
    if rates is not None and (rates.parent != folder or not rates.is_file()):
        raise NotFound(uploads.GONE)
    return Upload(token, path, str(data.get("name") or path.name),
                  str(job) if job else None, rates,
                  str(data.get("rates_name") or (rates.name if rates else "")))


def suggestion(settings: Settings, principal: Principal, upload: Upload,
               saved: str | None = None, currency: str = "EUR") -> Suggestion:
    """The mapping to start from: ``saved`` if named, else a saved one that fits, else new."""
    smp = sample(upload.path, name=upload.name)
    if saved:
        item, mapping = mappings.get_saved(settings, principal, saved)
        return from_mapping(smp, mapping, item.name)
    for item in mappings.list_saved(settings, principal):
        try:
            _, mapping = mappings.get_saved(settings, principal, item.slug)
        except InputError:
            continue  # a saved file broken by hand: not offered
        if fits(smp, mapping):
            return from_mapping(smp, mapping, item.name)
    return suggest(smp, currency=currency)


def base_currencies(upload: Upload) -> set[str]:
    """The currencies amounts can be converted into: each one the rate table in use (the
    upload's, else the shipped one) lists."""
    return (upload.rate_table or default_rates()).currencies()


def default_base(upload: Upload) -> str:
    """The currency amounts are converted into unless the person chooses another: the euro
    when the rate table in use lists it, else the table's own base."""
    table = upload.rate_table or default_rates()
    return "EUR" if table.knows("EUR") else table.base


def check(upload: Upload, choice: Suggestion, rows: int = 10,
          base_currency: str = "EUR") -> Preview:
    """The preview of ``choice``, its amounts converted into ``base_currency`` with the
    upload's rates (else the shipped ones); its problems include what is still to be
    chosen and a currency the rates do not convert."""
    missing = choice.missing()
    if missing:
        return Preview([], missing, 0)
    try:
        rates = resolve_rates(upload.rate_table, base_currency)
    except InputError as exc:  # a base currency the table cannot be rebased to
        return Preview([], exc.problems, 0)
    return preview(upload.path, choice.mapping(), rows=rows, name=upload.name,
                   base_currency=rates.base, rates=rates)


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def imported_before(session: Session, principal: Principal, digest: str) -> list[str]:
    """Names of the sets the caller imported from a file with this SHA-256 that still exist
    and that they may read (their own last 200 imports are looked at)."""
    names = []
    for job in runner.list_jobs(session, principal, kind=jobs.INGEST, limit=200):
        if (job.params or {}).get("sha256") != digest or not isinstance(job.result, dict):
            continue
        try:
            names.append(sets.get_set(session, principal, int(job.result["set"])).name)
        except (NotFound, KeyError, TypeError, ValueError):
            continue
    return names


def submit(session: Session, principal: Principal, settings: Settings, upload: Upload,
           choice: Suggestion, name: str, handling: str, unit: str, description: str = "",
           base_currency: str = "EUR", save_as: str = "", again: bool = False) -> Job:
    """Check, optionally save, and queue the import of ``upload``; the job.

    A file the caller imported before (same content) is refused unless ``again``.
    """
    if upload.job is not None:
        return jobs.runner.get(session, principal, upload.job)
    problems = []
    if not name.strip():
        problems.append((N_("Name of the set"), N_("give the set a name")))
    if problems:
        raise InputError.single(*problems[0])
    owner_id = sets.check_owner(session, principal, unit, handling)
    digest = fingerprint(upload.path)
    before = [] if again else imported_before(session, principal, digest)
    if before:
        shown_names = ", ".join(f"“{n}”" for n in before[:3])
        raise InputError.single(ALREADY_IMPORTED, N_(
            "you imported this file before, as the set %(names)s; tick “Import it again” to "
            "import it once more", names=shown_names))
    shown = check(upload, choice, base_currency=base_currency)
    if shown.problems:
        raise InputError(shown.problems, summary=N_("the file cannot be imported as mapped; "
                                                    "nothing was imported"))
    mapping_path = upload.path.parent / MAPPING_FILE
    mapping_path.write_text(choice.yaml(), encoding="utf-8")
    if save_as.strip():
        mappings.save(session, settings, principal, save_as, choice.raw())
    names = {"file": upload.name, "mapping": "column mapping"}
    if upload.rates is not None:
        names["rates"] = upload.rates_name
    job = jobs.start_ingest(session, principal, settings, upload.path, "csv", name.strip(),
                            handling.strip(), owner_id, description, base_currency.upper(),
                            mapping_path, names, fingerprint=digest, rates=upload.rates)
    session.flush()
    state = uploads.read_state(upload.path.parent, STATE_FILE)
    uploads.keep(upload.path.parent, principal, STATE_FILE, **{**state, "job": job.id})
    return job


def discard(settings: Settings, principal: Principal, token: str) -> None:
    """Remove an upload the caller no longer wants (not one already submitted)."""
    upload = open_upload(settings, principal, token)
    if upload.job is None:
        shutil.rmtree(upload.path.parent, ignore_errors=True)
