"""The illustrative commitments of the demo workspace (``demo.yaml``)."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.taskforce.commitments.records import (
    UNIQUE_CODES,
    CommitmentSpec,
    check_commitment,
    create_commitment,
)
from tocsin.taskforce.commitments.tables import Commitment
from tocsin.taskforce.programmes.vocabulary import Vocabulary

DEMO_FILE = Path(__file__).with_name("demo.yaml")


def demo_specs(path: Path = DEMO_FILE) -> list[CommitmentSpec]:
    """The demo entries, each marked illustrative and owned by the file's unit."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    owner = data.get("owner_unit")
    specs = []
    problems = []
    for index, entry in enumerate(data.get("commitments") or []):
        try:
            specs.append(CommitmentSpec(**{"owner_unit": owner, **entry, "illustrative": True}))
        except (TypeError, ValueError) as exc:
            problems.append(Problem(f"{path.name}: entry #{index + 1}", str(exc)))
    if problems:
        raise InputError(problems)
    return specs


def demo_commitments(session: Session, principal: Principal | None = None) -> list[Commitment]:
    """Add the demo commitments that are not there yet (by code); returns those added.

    Everything is checked before anything is written.
    """
    who = principal or Principal.system()
    vocab = Vocabulary.load(session)
    specs = demo_specs()
    problems = [p for spec in specs for p in check_commitment(session, spec, vocab)]
    if problems:
        raise InputError(problems, summary=f"{DEMO_FILE.name} does not match the reference data")
    present = set(session.scalars(unguarded_select(Commitment.code, why=UNIQUE_CODES)))
    return [create_commitment(session, who, spec, vocab=vocab)
            for spec in specs if spec.code not in present]
