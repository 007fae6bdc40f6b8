"""Screening the parties of a transaction set: a batch job, the listed-party detector and
the counterparties of a finding.

The parties of a set are FollowTheMoney entities (``parties.parquet``); each is
screened with :func:`tocsin.screening.service.screen_entities` under the set's
handling code. Screening that remembers subjects and keeps candidates is a write
on behalf of the set, so it needs the set's write rule
(:func:`tocsin.money.sets.may_store_results`); anyone who may read the set gets
the same answer as a preview that keeps nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural, Number
from tocsin.jobs import runner as jobs
from tocsin.jobs.runner import JobContext, Outcome
from tocsin.jobs.tables import Job
from tocsin.money import sets
from tocsin.money.findings import Finding, figure, sort_findings
from tocsin.screening import service
from tocsin.settings import Settings

#: The job kind of a batch screen of a set's parties.
SCREEN_SET = "screening.set"
DETECTOR = "listed_party"
#: Subjects sent to the matcher at once (one transaction per chunk in a job).
CHUNK = 200
#: Results kept inline in a job row; the full list goes to a file of the set.
TOP = 50

ProgressFn = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    return None


def party_entities(table: pa.Table, set_id: int,
                   only: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The parties of a set as ``{"id", "schema", "properties"}`` with a party_id caption."""
    wanted = set(only) if only is not None else None
    out = []
    for row in table.to_pylist():
        if wanted is not None and row["party_id"] not in wanted:
            continue
        try:
            properties = json.loads(row.get("properties") or "{}")
        except ValueError:
            properties = {}
        if not isinstance(properties, dict):
            properties = {}
        if row.get("name") and not properties.get("name"):
            properties["name"] = [row["name"]]
        if row.get("country") and not properties.get("country"):
            properties["country"] = [row["country"]]
        if not properties.get("name"):
            continue  # a party without a name cannot be screened
        out.append({"id": f"set{set_id}-{row['party_id']}"[:200],
                    "schema": row.get("schema") or "LegalEntity",
                    "properties": properties, "party_id": row["party_id"]})
    return out


def screen_parties(session: Session, principal: Principal, settings: Settings, set_id: int,
                   *, lists: Sequence[str] | None = None, threshold: float | None = None,
                   review: float | None = None, parties: Iterable[str] | None = None,
                   progress: ProgressFn = _quiet, commit: Callable[[], None] | None = None
                   ) -> tuple[list[tuple[dict[str, Any], service.SubjectResult]], bool]:
    """Screen the parties of a set (or those named in ``parties``); whether they were kept."""
    item = sets.get_set(session, principal, set_id)
    stores = sets.may_store_results(principal, item)
    stored = sets.open_stored(settings, item)
    entities = party_entities(stored.parties(), item.id, parties)
    threshold = settings.screening_threshold if threshold is None else threshold
    review = settings.screening_review if review is None else review
    out: list[tuple[dict[str, Any], service.SubjectResult]] = []
    total = max(1, len(entities))
    for start in range(0, len(entities), CHUNK):
        chunk = entities[start:start + CHUNK]
        found = service.screen_entities(
            session, principal, [{k: v for k, v in e.items() if k != "party_id"}
                                 for e in chunk],
            lists=lists, threshold=threshold, review=review, handling=item.handling,
            origin=f"set:{item.id}", remember=stores)
        out.extend(zip(chunk, found, strict=True))
        if commit is not None:
            commit()
        progress(min(1.0, (start + len(chunk)) / total),
                 N_("%(done)s of %(total)s parties screened", done=start + len(chunk),
                    total=len(entities)))
    return out, stores


def summary(screened: Sequence[tuple[dict[str, Any], service.SubjectResult]],
            stored: bool) -> dict[str, Any]:
    hits = []
    for party, result in screened:
        for r in result.results:
            if r.band == "dismissed":
                continue
            hits.append({"party_id": party["party_id"], "party": result.caption,
                         "subject_id": result.subject_id, **r.to_dict()})
    hits.sort(key=lambda h: (-h["score"], h["party_id"]))
    return {"parties": len(screened),
            "matches": sum(1 for h in hits if h["match"]),
            "review": sum(1 for h in hits if h["band"] in ("review", "unsure")),
            "results": hits[:TOP], "stored": stored, "preview": not stored}


# --------------------------------------------------------------------------- the job


def submit_screen(session: Session, principal: Principal, set_id: int, *,
                  lists: Sequence[str] | None = None, threshold: float | None = None,
                  review: float | None = None) -> Job:
    """Queue a batch screen of the set's parties (needs the set's write rule)."""
    item = sets.get_set(session, principal, set_id)
    if not sets.may_store_results(principal, item):
        from tocsin.errors import PermissionDenied

        raise PermissionDenied(N_("screening a set keeps its subjects with the set's unit; "
                                  "your role may not change this set"))
    for name, value in (("threshold", threshold), ("review", review)):
        if value is not None and not 0.0 < value <= 1.0:
            raise InputError.single(name, N_("must be above 0 and at most 1"))
    params = {"set_id": item.id, "lists": list(lists or []), "threshold": threshold,
              "review": review}
    return jobs.submit(session, principal, SCREEN_SET, params,
                       {"set": item.name, "work": "screen the parties against the lists"},
                       (sets.SUBJECT, item.id))


def run_screen_job(ctx: JobContext) -> Outcome:
    params = ctx.params
    holder: dict[str, Session] = {}

    def commit() -> None:  # each chunk lands on its own, so progress is real
        holder["session"].commit()

    with ctx.db.transaction() as session:
        holder["session"] = session
        screened, stored = screen_parties(
            session, ctx.principal, ctx.settings, int(params["set_id"]),
            lists=params.get("lists") or None, threshold=params.get("threshold"),
            review=params.get("review"), progress=ctx.progress, commit=commit)
    return Outcome(result=summary(screened, stored),
                   subject=(sets.SUBJECT, int(params["set_id"])))


HANDLERS = {SCREEN_SET: run_screen_job}


# --------------------------------------------------------------------------- the detector


def _accounts_by_party(accounts: pa.Table) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for account_id, party_id in zip(accounts.column("account_id").to_pylist(),
                                    accounts.column("party_id").to_pylist(), strict=True):
        if party_id:
            out[party_id].append(account_id)
    return out


def listed_party(session: Session, principal: Principal, settings: Settings, set_id: int,
                 *, lists: Sequence[str] | None = None, threshold: float | None = None,
                 review: float | None = None) -> dict[str, Any]:
    """Detector "payment to or from a listed party", run on request.

    Screens the set's parties, then reports for each party with a confirmed or
    candidate match (a dismissed one never counts) the payments its accounts
    sent or received, scored by the match.
    """
    screened, stored = screen_parties(session, principal, settings, set_id, lists=lists,
                                      threshold=threshold, review=review)
    item = sets.get_set(session, principal, set_id)
    data = sets.open_stored(settings, item)
    by_party = _accounts_by_party(data.accounts())
    flagged: dict[str, tuple[str, service.Result]] = {}
    for party, result in screened:
        best = next((r for r in result.results if r.band != "dismissed"), None)
        if best is not None and party["party_id"] in by_party:
            for account in by_party[party["party_id"]]:
                flagged[account] = (result.caption, best)
    findings: list[Finding] = []
    if flagged:
        txns = data.transactions(["txn_id", "source", "target", "amount"])
        keys = pa.array(sorted(flagged))
        touched = txns.filter(pc.or_(pc.is_in(txns.column("source"), keys),
                                     pc.is_in(txns.column("target"), keys)))
        per_account: dict[str, list[tuple[str, str, str, float]]] = defaultdict(list)
        for row in touched.to_pylist():
            for side in ("source", "target"):
                if row[side] in flagged:
                    per_account[row[side]].append((row["txn_id"], row["source"],
                                                   row["target"], row["amount"]))
        for account, rows in per_account.items():
            party_name, hit = flagged[account]
            how = {"confirmed": N_("is confirmed as"), "match": N_("matches"),
                   "unsure": N_("may be (judged unsure)"), "review": N_("may be")}[hit.band]
            amount = sum(r[3] for r in rows)
            counterparties = {r[1] for r in rows} | {r[2] for r in rows}
            findings.append(Finding.build(
                DETECTOR, account, hit.score, counterparties, [r[0] for r in rows], amount,
                N_plural("%(count)s payment of %(amount)s to or from %(party)s, who %(how)s "
                         "%(caption)s on %(list)s (%(programme)s, score %(score)s: %(why)s)",
                         "%(count)s payments of %(amount)s to or from %(party)s, who %(how)s "
                         "%(caption)s on %(list)s (%(programme)s, score %(score)s: %(why)s)",
                         len(rows), count=len(rows), amount=figure(amount), party=party_name,
                         how=how, caption=hit.caption, list=hit.list_key,
                         programme=hit.programme or N_("no programme"),
                         score=Number(hit.score, 2, group=False), why=hit.explained.reason())))
    ordered = sort_findings(findings)
    return {"detector": DETECTOR, "set_id": item.id, "stored": stored, "preview": not stored,
            "parties": len(screened), "findings": [f.to_dict() for f in ordered]}


def counterparties(session: Session, principal: Principal, settings: Settings, set_id: int,
                   finding: str, *, lists: Sequence[str] | None = None) -> dict[str, Any]:
    """Screen the parties behind the accounts of one finding of the set's latest run."""
    found = sets.stored_finding(session, principal, settings, set_id, finding)
    item = sets.get_set(session, principal, set_id)
    data = sets.open_stored(settings, item)
    accounts = set(found.get("accounts") or [])
    party_ids = {p for a, p in zip(data.accounts().column("account_id").to_pylist(),
                                   data.accounts().column("party_id").to_pylist(),
                                   strict=True) if a in accounts and p}
    screened, stored = screen_parties(session, principal, settings, set_id, lists=lists,
                                      parties=party_ids)
    return {"finding": finding, **summary(screened, stored)}

