"""Rank the rule detectors' findings and flag only the few that clear a bar.

Detectors report every structure that matches their definition; on a real set
that is thousands of accounts, most of them shops, landlords and payment
processors doing what they always do. This module turns findings into a short
list an investigator can work through:

1. **Judged against the account's own history.** A fan (many counterparties
   in one window: ``fan_in``, ``fan_out``, ``gather_scatter``) is only unusual if
   the account does not usually have that many. We count the account's other
   counterparties on the same side and spread them over the time the account is
   active in the set: its *usual* number per window. Taking counterparties to
   arrive at random at that rate (Poisson), the score falls with the chance of a
   window at least this wide somewhere in that time (above 1 in 10**usual_rarity:
   nothing left; below 1 in 10**rare_rarity: untouched) and with the window's size
   over the usual plus one (1: nothing left; ``min_burst`` or more: untouched),
   whichever is lower. A shop with two hundred card payers over three months has
   about seven per three days, so a window of seventeen says little; an account
   that normally hears from one payer and suddenly gets seven keeps its score. An
   account with no other payments at all (nothing to compare with) keeps half.
2. **Busy counterparties.** Payees with more distinct payers than ``busy_quantile``
   of the set's accounts (shops, landlords, utilities) and payers with more distinct
   payees (employers, processors) are ordinary to deal with; a fan keeps only its
   other counterparties and falls in proportion when they are fewer than the
   detector's ``min_degree``.
   Fans on a *pay day* of the set — a day on which far more accounts fan out (in)
   than on its other days, learned from the fans themselves — keep only the share an
   ordinary day would hold (:func:`busy_days`). Stacks (``layered``) keep the share of
   their other accounts that are not busy businesses passing money on.
3. **Flagged, then ranked.** An account's score is the highest adjusted score of
   the findings it appears in. Accounts at or above ``min_score`` are flagged,
   highest first, up to ``max_share`` of the set's accounts; findings of a
   ``supporting`` detector alone rank an account but do not flag it. The rest keep
   their score and their place in the ranking.

Nothing here reads account-kind labels beyond the hub kinds the fan detectors
already leave out: it is all learned from the payments.

Every adjusted finding keeps the detector's reason and adds a sentence saying
how its score was changed and why. The adjustment only reads the findings and
three engine-neutral queries, so every engine gives the same ranking.
"""
# ruff: noqa: S608 -- SQL is assembled from constants through in_list.

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Message, N_plural, Number
from tocsin.money.detect import REGISTRY, Detector
from tocsin.money.detect.base import in_list
from tocsin.money.detect.fan import HUB_KINDS
from tocsin.money.detect.windows import poisson_tail
from tocsin.money.engines.base import Engine, run_detector
from tocsin.money.findings import Finding, sort_findings

HOUR = 3600
DAY = 86_400
#: Fans whose counterparties are judged by how busy they are, and what they are called.
BUSY_SIDE: dict[str, str] = {"fan_out": "payees", "fan_in": "payers"}
#: Detectors whose findings are fans judged against the subject's own history,
#: with the side of the subject's payments the fan is on.
FAN_SIDES: dict[str, str] = {"fan_in": "payers", "fan_out": "payees",
                             "gather_scatter": "counterparties"}


def _others(side: str, count: int) -> Message:
    """'1 other payer', '3 other payers': the account's other accounts of ``side``."""
    if side == "payers":
        return N_plural("%(count)s other payer", "%(count)s other payers", count, count=count)
    if side == "payees":
        return N_plural("%(count)s other payee", "%(count)s other payees", count, count=count)
    return N_plural("%(count)s other counterparty", "%(count)s other counterparties", count,
                    count=count)


def _score(value: float) -> Number:
    """A score inside a note: 0.85 (0,85 in French)."""
    return Number(value, 2, group=False)


@dataclass(frozen=True)
class RankConfig:
    """How findings are judged, flagged and ranked."""

    #: A fan as likely by chance as 1 in 10**usual_rarity (from the account's usual
    #: rate of counterparties) loses its score; as rare as 1 in 10**rare_rarity or
    #: rarer keeps it; in between the score falls in proportion (on the log scale).
    usual_rarity: float = 2.0
    rare_rarity: float = 7.0
    #: A fan also needs this many times the account's usual counterparties per
    #: window (plus one): busy accounts vary more than chance alone would say.
    min_burst: float = 3.0
    #: Counterparties with more distinct payers (payees) than this share of the set's
    #: accounts are busy collection (payout) accounts; a fan to (from) them is ordinary.
    busy_quantile: float = 0.95
    #: Layering detectors whose structures are judged by how much of them runs through
    #: busy accounts (paths through a busy firm are common by chance).
    layered: tuple[str, ...] = ("stack",)
    #: Adjusted score an account needs to be flagged.
    min_score: float = 0.6
    #: Detectors whose findings rank an account but flag it only together with a
    #: finding of another detector: on their own they were as common among ordinary
    #: accounts as among launderers in the worlds the defaults were chosen on.
    supporting: tuple[str, ...] = ("pass_through", "gather_scatter")
    #: At most this share of the set's accounts is flagged (the rest is ranked).
    max_share: float = 0.02

    def check(self) -> None:
        problems = []
        if not 0 <= self.usual_rarity < self.rare_rarity:
            problems.append(Problem("rank.rare_rarity", "must be above usual_rarity, "
                                                        "which must be at least 0"))
        if self.min_burst < 1:
            problems.append(Problem("rank.min_burst", "must be at least 1"))
        for name in ("supporting", "layered"):
            unknown = sorted(set(getattr(self, name)) - set(REGISTRY))
            if unknown:
                problems.append(Problem(f"rank.{name}",
                                        f"unknown detectors: {', '.join(unknown)}"))
        if not 0 < self.busy_quantile < 1:
            problems.append(Problem("rank.busy_quantile", "must be between 0 and 1"))
        if not 0 <= self.min_score <= 1:
            problems.append(Problem("rank.min_score", "must be between 0 and 1"))
        if not 0 < self.max_share <= 1:
            problems.append(Problem("rank.max_share", "must be above 0 and at most 1"))
        if problems:
            raise InputError(problems)


@dataclass(frozen=True)
class RankedAccount:
    account: str
    score: float
    flagged: bool
    #: The findings behind the score, strongest first (detector and reason).
    findings: tuple[Finding, ...] = field(default=())
    #: How a supervised model's score of the account changed its score
    #: (:func:`with_model`; "" without a model).
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"account": self.account, "score": self.score, "flagged": self.flagged,
               "findings": [{"detector": f.detector, "score": f.score, "reason": f.reason}
                            for f in self.findings]}
        if self.model:
            out["model"] = self.model
        return out


@dataclass(frozen=True)
class Judged:
    """A detector's finding and how the ranking judged it."""

    #: The finding as the detector reported it.
    original: Finding
    #: Its score after the judgement.
    score: float
    #: Why the score is what it is ("" when the detector's score stands unexamined).
    note: str

    @property
    def finding(self) -> Finding:
        """The finding with the judged score; its reason ends with the judgement."""
        if not self.note:
            return self.original
        return replace(self.original, score=self.score,
                       reason=N_("%(reason)s. %(note)s", reason=self.original.reason,
                                 note=self.note))


def identity(finding: Finding) -> tuple[str, str, tuple[str, ...]]:
    """What keeps a finding apart from the others whatever its score and reason."""
    return finding.detector, finding.subject, finding.transactions


@dataclass(frozen=True)
class Ranking:
    #: The findings with their adjusted scores, highest first.
    findings: list[Finding]
    #: Every account in a finding, highest score first (see :func:`flag`).
    accounts: list[RankedAccount]
    #: Accounts in the set (the flagged share is taken of this).
    set_accounts: int
    config: RankConfig
    #: How each finding was judged, by :func:`identity`.
    judged: dict[tuple[str, str, tuple[str, ...]], Judged] = field(default_factory=dict)
    #: The supervised model the accounts were re-ranked with ("" for none).
    model: str = ""

    @property
    def flagged(self) -> list[str]:
        return [a.account for a in self.accounts if a.flagged]

    def judgement(self, finding: Finding) -> Judged:
        """How ``finding`` (adjusted or not) was judged; unjudged findings stand as they are."""
        return self.judged.get(identity(finding)) or Judged(finding, finding.score, "")

    def flags(self, finding: Finding) -> list[str]:
        """The accounts of ``finding`` it flags: flagged accounts whose flag it carries
        (a finding of a leading detector scoring at least ``min_score``)."""
        if finding.detector in self.config.supporting or finding.score < self.config.min_score:
            return []
        return [a for a in finding.accounts if a in self.flagged_set]

    @cached_property
    def flagged_set(self) -> frozenset[str]:
        return frozenset(self.flagged)

    def summary(self) -> dict[str, Any]:
        return {"set_accounts": self.set_accounts, "ranked": len(self.accounts),
                "flagged": len(self.flagged), "model": self.model or None,
                "flagged_share": round(len(self.flagged) / max(1, self.set_accounts), 4),
                "config": vars(self.config)}


def _setting(detector: str, name: str, configs: dict[str, Any] | None, default: float
             ) -> float:
    """A detector's setting as it ran (``configs``), else its default."""
    config = (configs or {}).get(detector)
    if config is None:
        config = REGISTRY[detector].config_type()
    value = config.get(name) if isinstance(config, dict) else getattr(config, name, None)
    return float(value) if value else default


def history(engine: Engine) -> dict[str, tuple[int, int, int]]:
    """Distinct payers and payees of every account and the seconds from its first to
    its last payment (hub kinds left out, as the fan detectors do)."""
    kinds = in_list(HUB_KINDS)
    ok = f"source <> target AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}"
    rows = engine.fetch(
        "SELECT account, "
        "COUNT(DISTINCT CASE WHEN dir = 0 THEN cp END) AS payers, "
        "COUNT(DISTINCT CASE WHEN dir = 1 THEN cp END) AS payees, "
        "MAX(t) - MIN(t) AS active FROM ("
        f"SELECT target AS account, source AS cp, 0 AS dir, t FROM txn WHERE {ok} "
        f"UNION ALL SELECT source AS account, target AS cp, 1 AS dir, t FROM txn WHERE {ok}"
        ") flows GROUP BY account")
    return {str(a): (int(i), int(o), int(s)) for a, i, o, s in zip(
        rows["account"].tolist(), rows["payers"].tolist(), rows["payees"].tolist(),
        rows["active"].tolist(), strict=True)}


def busy_levels(known: dict[str, tuple[int, int, int]], quantile: float) -> tuple[int, int]:
    """Distinct payers and distinct payees at ``quantile`` of the accounts that have any:
    above them an account collects from (pays out to) more accounts than almost
    everyone in the set — a shop, a landlord, a utility, an employer, a processor."""
    import numpy as np

    payers = np.array([v[0] for v in known.values() if v[0] > 0], dtype=np.int64)
    payees = np.array([v[1] for v in known.values() if v[1] > 0], dtype=np.int64)

    def level(values: Any) -> int:
        if not len(values):
            return 1 << 62
        return int(np.sort(values)[min(len(values) - 1, int(quantile * len(values)))])

    return level(payers), level(payees)


def set_span(engine: Engine) -> tuple[int, int]:
    """Seconds from the set's first to its last payment, and the number of accounts."""
    span = engine.fetch("SELECT MIN(t) AS lo, MAX(t) AS hi, COUNT(*) AS n FROM txn")
    accounts = engine.fetch(
        "SELECT COUNT(DISTINCT a) AS n FROM (SELECT source AS a FROM txn "
        "UNION ALL SELECT target AS a FROM txn) x")
    lo, hi = span["lo"].iloc[0], span["hi"].iloc[0]
    seconds = int(hi - lo) if int(span["n"].iloc[0]) else 0
    return seconds, int(accounts["n"].iloc[0])


def burst(window: int, others: int, span: int, width: int) -> tuple[float, float]:
    """The account's usual counterparties per window, and how often a window with
    ``window`` or more of them would occur by chance in the set's time.

    ``others`` counterparties outside the window over the whole set of ``span``
    seconds; windows are ``width`` seconds. Counterparties are taken to arrive
    at random at the usual rate (Poisson): the chance is the expected number of
    the set's windows with that many, so an account that has this many once in
    a while (a busy shop) gets a chance near one, an account that usually hears
    from nobody a chance near zero.
    """
    usual = others * width / max(width, span - width)
    windows = max(1.0, span / width)
    return usual, min(1.0, windows * poisson_tail(usual, window))


@dataclass(frozen=True)
class BusyDay:
    """A day on which many more accounts fanned out (or in) than on the set's other days."""

    day: int
    #: Accounts with a fan that day.
    accounts: int
    #: Such accounts on an ordinary day of the set.
    usual: float
    #: How often a day this busy would occur by chance in the set's time.
    chance: float


def payment_times(engine: Engine, findings: Sequence[Finding]
                  ) -> dict[tuple[str, str, tuple[str, ...]], tuple[int, int]]:
    """The first and last payment time of each finding (by :func:`identity`)."""
    ids = sorted({x for f in findings for x in f.transactions})
    when: dict[str, int] = {}
    for at in range(0, len(ids), 5_000):  # keep each statement a reasonable size
        rows = engine.fetch(f"SELECT txn_id, t FROM txn WHERE txn_id IN "
                            f"{in_list(ids[at:at + 5_000])}")
        when.update(zip(rows["txn_id"].astype(str).tolist(),
                        rows["t"].astype("int64").tolist(), strict=True))
    out = {}
    for f in findings:
        times = [when[x] for x in f.transactions if x in when]
        if times:
            out[identity(f)] = (min(times), max(times))
    return out


def busy_days(spans: dict[str, list[tuple[int, int]]], span: int, config: RankConfig
              ) -> dict[int, BusyDay]:
    """Days on which many more accounts made a fan than on the set's other days.

    ``spans`` holds, per subject, the first and last payment time of each of its
    fans. Fans are taken to fall on the set's days at random at the rate of an
    ordinary day (the mean over the days outside the busiest tenth, at least one
    in the set's time); a day is busy
    when that many subjects would fan out (in) on one day by chance less than once
    in 10**rare_rarity of the set's times. Pay days and rent days show up this way,
    learned from the set's own payments: no calendar is assumed.
    """
    per_day: dict[int, int] = {}
    for times in spans.values():
        for d in {d for lo, hi in times for d in range(lo // DAY, hi // DAY + 1)}:
            per_day[d] = per_day.get(d, 0) + 1
    if not per_day:
        return {}
    n_days = max(1, span // DAY + 1)
    counts = sorted([*per_day.values(), *[0] * max(0, n_days - len(per_day))])
    ordinary = counts[:max(1, len(counts) - max(1, len(counts) // 10))]
    # One fan somewhere in the set's time is always ordinary, even if all fell on a few days.
    usual = max(sum(ordinary) / len(ordinary), 1 / n_days)
    busy = {}
    for d, n in per_day.items():
        chance = min(1.0, n_days * poisson_tail(usual, n))
        if chance < 10 ** -config.rare_rarity:
            busy[d] = BusyDay(d, n, usual, chance)
    return busy


def _busy_day_notes(engine: Engine, fans: Sequence[Finding], span: int, config: RankConfig
                    ) -> dict[tuple[str, str, tuple[str, ...]], tuple[float, str]]:
    """For fans on a busy day (:func:`busy_days`): the factor that leaves the score
    the chance of being one of an ordinary day's fans (usual over that day's count),
    and why."""
    out: dict[tuple[str, str, tuple[str, ...]], tuple[float, str]] = {}
    for detector, side in BUSY_SIDE.items():
        mine = [f for f in fans if f.detector == detector]
        if not mine:
            continue
        times = payment_times(engine, mine)
        spans: dict[str, list[tuple[int, int]]] = {}
        for f in mine:
            if identity(f) in times:
                spans.setdefault(f.subject, []).append(times[identity(f)])
        days = busy_days(spans, span, config)
        if not days:
            continue
        for f in mine:
            if identity(f) not in times:
                continue
            lo, hi = times[identity(f)]
            near = [d for d in range(lo // DAY, hi // DAY + 1) if d in days]
            if not near:
                continue
            day = days[max(near, key=lambda d: days[d].accounts)]
            factor = min(1.0, day.usual / day.accounts)
            when = datetime.fromtimestamp(day.day * DAY, UTC).date().isoformat()
            usual, chance, keeps = Number(day.usual, 1, group=False), f"{day.chance:.1g}", \
                f"{factor:.0%}"
            out[identity(f)] = (factor, N_(
                "On %(day)s, %(accounts)s accounts each paid many new accounts, as this one "
                "did, against about %(usual)s on the set's other days (by chance about "
                "%(chance)s times in the set's time): a pay day of this set. Only about "
                "%(usual)s of that day's %(accounts)s are what an ordinary day holds, so the "
                "score keeps %(share)s", day=when, accounts=day.accounts, usual=usual,
                chance=chance, share=keeps) if side == "payees" else N_(
                "On %(day)s, %(accounts)s accounts each were paid by many new accounts, as "
                "this one did, against about %(usual)s on the set's other days (by chance "
                "about %(chance)s times in the set's time): a pay day of this set. Only about "
                "%(usual)s of that day's %(accounts)s are what an ordinary day holds, so the "
                "score keeps %(share)s", day=when, accounts=day.accounts, usual=usual,
                chance=chance, share=keeps))
    return out


def _through_busy(f: Finding, known: dict[str, tuple[int, int, int]], busy_payee: int,
                  busy_payer: int, config: RankConfig) -> Judged:
    """A layering structure judged by how much of it runs through busy accounts.

    An account that collects from (or pays) more accounts than almost everyone in the
    set and also passes money on — a trading firm, a wholesaler — joins many
    time-respecting paths by chance; paths through it say little. The score keeps
    the share of the structure's other accounts that are not such accounts.
    """
    others = [a for a in f.accounts if a != f.subject]
    busy = []
    for account in others:
        payers, payees, _ = known.get(account, (0, 0, 0))
        if payers and payees and (payers > busy_payee or payees > busy_payer):
            busy.append(account)
    if not busy:
        return Judged(f, f.score, "")
    factor = 1 - len(busy) / len(others)
    return Judged(f, round(f.score * factor, 4), N_(
        "%(busy)s of its %(others)s other accounts both pay and collect and deal with more "
        "accounts than %(share)s of the set's accounts (more than %(payers)s payers or "
        "%(payees)s payees): busy businesses join many paths by chance, so the score keeps "
        "the share of the others (%(before)s to %(after)s).", busy=len(busy),
        others=len(others), share=f"{config.busy_quantile:.0%}", payers=busy_payee,
        payees=busy_payer, before=_score(f.score), after=_score(f.score * factor)))


def judge(findings: Iterable[Finding], engine: Engine, config: RankConfig | None = None,
          configs: dict[str, Any] | None = None, span: int | None = None) -> list[Judged]:
    """Every finding with its score judged against the subject's own history (fans)."""
    config = config or RankConfig()
    found = list(findings)
    fans = [f for f in found if f.detector in FAN_SIDES]
    if not fans and not any(f.detector in config.layered for f in found):
        return [Judged(f, f.score, "") for f in found]
    known = history(engine)
    busy_payee, busy_payer = busy_levels(known, config.busy_quantile)
    if span is None:
        span = set_span(engine)[0]
    on_busy_days = _busy_day_notes(engine, fans, span, config)
    out: list[Judged] = []
    for f in found:
        side = FAN_SIDES.get(f.detector)
        if f.detector in config.layered:
            out.append(_through_busy(f, known, busy_payee, busy_payer, config))
            continue
        if side is None:
            out.append(Judged(f, f.score, ""))
            continue
        payers, payees, active = known.get(f.subject, (0, 0, 0))
        if side == "payers":
            total, other_side = payers, payees
        elif side == "payees":
            total, other_side = payees, payers
        else:  # both sides at once (gather-scatter)
            total, other_side = payers + payees, 0
        in_window = max(1, len(f.accounts) - 1)
        others = max(0, total - in_window)
        width = int(_setting(f.detector, "window_hours", configs, 72.0) * HOUR)
        # The account's own time in the set: a shop that opened a month ago has had a
        # month to gather its usual payers, not the set's whole span.
        usual, chance = burst(in_window, others, min(span, active), width)
        if others == 0 and other_side == 0:
            factor = 0.5
            note = N_("The account has no other payments in the set to judge this burst "
                      "against, so its score is halved (%(before)s to %(after)s).",
                      before=_score(f.score), after=_score(f.score * factor))
        else:
            rarity = -math.log10(chance) if chance > 0 else math.inf
            lo, hi = config.usual_rarity, config.rare_rarity
            by_chance = max(0.0, min(1.0, (rarity - lo) / (hi - lo)))
            ratio = in_window / (1.0 + usual)
            by_ratio = max(0.0, min(1.0, (ratio - 1.0) / max(1e-9, config.min_burst - 1.0)))
            factor = min(by_chance, by_ratio)
            odds = N_("never") if chance == 0 else N_("about %(count)s times",
                                                      count=f"{chance:.1g}")
            what = N_("Against its own history (%(others)s over %(days)s days, "
                      "about %(usual)s per %(window)s hours) a window with %(count)s is "
                      "%(ratio)s times the usual and would happen by chance %(odds)s in the "
                      "set's time", others=_others(side, others),
                      days=f"{min(span, active) / DAY:.0f}",
                      usual=Number(usual, 1, group=False), window=f"{width / HOUR:g}",
                      count=in_window, ratio=Number(ratio, 1, group=False), odds=odds)
            if factor >= 1:
                note = N_("%(what)s, so the score stands.", what=what)
            else:
                why = (N_("a chance above 1 in %(odds)s", odds=Number(10 ** hi, 0))
                       if by_chance <= by_ratio else
                       N_("less than %(times)s times the usual",
                          times=f"{config.min_burst:g}"))
                note = N_("%(what)s; %(why)s lowers the score (%(before)s to %(after)s).",
                          what=what, why=why, before=_score(f.score),
                          after=_score(f.score * factor))
        if f.detector in BUSY_SIDE:
            others_in_fan = [a for a in f.accounts if a != f.subject]
            paying = f.detector == "fan_out"
            if paying:  # paying shops, landlords and utilities is ordinary
                busy = [a for a in others_in_fan if known.get(a, (0, 0, 0))[0] > busy_payee]
            else:  # being paid by employers and processors is ordinary
                busy = [a for a in others_in_fan if known.get(a, (0, 0, 0))[1] > busy_payer]
            ordinary = len(others_in_fan) - len(busy)
            need = _setting(f.detector, "min_degree", configs, 5.0)
            if busy and ordinary < need:
                before = factor
                factor *= ordinary / need
                top, needed = f"{1 - config.busy_quantile:.0%}", f"{need:g}"
                scores = {"before": _score(f.score * before), "after": _score(f.score * factor)}
                more = N_(
                    "%(busy)s of its %(count)s payees collect from more than %(most)s payers, "
                    "as only the top %(top)s of the set's accounts do; dealing with them is "
                    "ordinary, which leaves %(ordinary)s of the %(need)s the fan needs, so "
                    "the score falls in proportion (%(before)s to %(after)s).",
                    busy=len(busy), count=len(others_in_fan), most=busy_payee, top=top,
                    ordinary=ordinary, need=needed, before=scores["before"],
                    after=scores["after"]) if paying else N_(
                    "%(busy)s of its %(count)s payers pay more than %(most)s payees, as only "
                    "the top %(top)s of the set's accounts do; dealing with them is ordinary, "
                    "which leaves %(ordinary)s of the %(need)s the fan needs, so the score "
                    "falls in proportion (%(before)s to %(after)s).",
                    busy=len(busy), count=len(others_in_fan), most=busy_payer, top=top,
                    ordinary=ordinary, need=needed, before=scores["before"],
                    after=scores["after"])
                note = N_("%(note)s %(more)s", note=note, more=more)
        if identity(f) in on_busy_days:
            keep, pay_day = on_busy_days[identity(f)]
            before = factor
            factor *= keep
            note = N_("%(note)s %(why)s (%(before)s to %(after)s).", note=note, why=pay_day,
                      before=_score(f.score * before), after=_score(f.score * factor))
        out.append(Judged(f, round(f.score * factor, 4), note))
    return out


def adjust(findings: Iterable[Finding], engine: Engine, config: RankConfig | None = None,
           configs: dict[str, Any] | None = None, span: int | None = None) -> list[Finding]:
    """The findings with fan scores judged against each subject's own history; each
    adjusted reason ends with how it was judged."""
    return sort_findings(j.finding for j in judge(findings, engine, config, configs, span))




def flag(findings: Sequence[Finding], set_accounts: int, config: RankConfig | None = None
         ) -> list[RankedAccount]:
    """Accounts of the findings, ranked by their best finding; the top ones flagged."""
    config = config or RankConfig()
    best: dict[str, list[Finding]] = {}
    for f in findings:
        for account in f.accounts:
            best.setdefault(account, []).append(f)
    # Highest score first; among equals, accounts in more findings, then in smaller ones
    # (a finding about a few accounts says more about each of them).
    order = sorted(best, key=lambda a: (-max(x.score for x in best[a]), -len(best[a]),
                                        min(len(x.accounts) for x in best[a]), a))
    budget = int(config.max_share * set_accounts)
    out = []
    for account in order:
        mine = tuple(sorted(best[account], key=lambda x: (-x.score, x.detector, x.subject)))
        score = mine[0].score
        leading = [f for f in mine if f.detector not in config.supporting]
        flagged = bool(leading) and leading[0].score >= config.min_score and budget > 0
        if flagged:
            budget -= 1
        out.append(RankedAccount(account, score, flagged, mine))
    return out


def with_model(ranking: Ranking, scores: Mapping[str, float], cut: float,
               source: str) -> Ranking:
    """The ranking with each account's score weighed by a supervised model's.

    ``scores`` are the model's account log-odds and ``cut`` the log-odds at which the
    model flags an account in this set (:func:`tocsin.money.model.account_support`). An
    account at or above the cut keeps its score; one below keeps the share of it that
    its odds are of the cut's, ``exp(score - cut)`` (on log-odds, so a model certain of
    many accounts still tells them apart where probabilities would all read 1.0).
    Flags are then given as in :func:`flag` (leading detectors, ``min_score``,
    ``max_share``) on the weighed scores, so an account needs both a rule finding and
    the model's support to be flagged. Every account says how the model changed its
    score.
    """
    if math.isnan(cut):
        raise InputError.single("model.cut", "is not a number")
    config = ranking.config
    rows = []
    for at, account in enumerate(ranking.accounts):
        leading = [f for f in account.findings if f.detector not in config.supporting]
        model = float(scores.get(account.account, -math.inf))
        factor = 1.0 if model >= cut else math.exp(model - cut) if math.isfinite(model) else 0.0
        lead = leading[0].score * factor if leading else 0.0
        rows.append((-lead, -account.score * factor, at, account, model, factor))
    rows.sort(key=lambda r: r[:3])
    budget = int(config.max_share * ranking.set_accounts)
    out = []
    for neg_lead, _, _, account, model, factor in rows:
        flagged = -neg_lead >= config.min_score and budget > 0
        if flagged:
            budget -= 1
        score = round(account.score * factor, 4)
        # a message, so that a source named in the reader's language stays English here
        if factor >= 1:
            note = N_("The %(source)s gives the account log-odds %(score)s, at or above "
                      "its cut %(cut)s in this set: the score stands.", source=source,
                      score=Number(model, 2, group=False), cut=Number(cut, 2, group=False))
        elif not math.isfinite(model):
            note = N_("The %(source)s scores no payment of the account: the score keeps "
                      "nothing (%(before)s to 0).", source=source,
                      before=Number(account.score, 2, group=False))
        else:
            note = N_("The %(source)s gives the account log-odds %(score)s, below its cut "
                      "%(cut)s in this set: the score keeps %(share)s%% (%(before)s to "
                      "%(after)s).", source=source, score=Number(model, 2, group=False),
                      cut=Number(cut, 2, group=False),
                      share=Number(factor * 100, 0, group=False),
                      before=Number(account.score, 2, group=False),
                      after=Number(score, 2, group=False))
        out.append(replace(account, score=score, flagged=flagged, model=note))
    return replace(ranking, accounts=out, model=source)


def rank(engine: Engine, findings: Iterable[Finding], config: RankConfig | None = None,
         configs: dict[str, Any] | None = None) -> Ranking:
    """Adjust, rank and flag the findings of one set (see the module docstring)."""
    config = config or RankConfig()
    config.check()
    span, accounts = set_span(engine)
    judged = judge(findings, engine, config, configs, span)
    adjusted = sort_findings(j.finding for j in judged)
    return Ranking(adjusted, flag(adjusted, accounts, config), accounts, config,
                   {identity(j.original): j for j in judged})


def detect(engine: Engine, detectors: Sequence[Detector], config: RankConfig | None = None,
           progress: Callable[[str], None] | None = None
           ) -> tuple[Ranking, dict[str, dict[str, Any]]]:
    """Run ``detectors`` on the engine and rank their findings: the one path from
    detectors to ranked, flagged and explained findings that the command line, the
    API and the web share. Also returns the settings each detector ran with."""
    found: list[Finding] = []
    # the settings that depend on the set (amount floors) resolved once, and stored as run
    detectors = [d.bind(engine) for d in detectors]
    for detector in detectors:
        if progress is not None:
            progress(N_("looking for %(detector)s", detector=detector.title))
        found += run_detector(engine, detector)
    configs = {d.name: dict(d.describe()["config"]) for d in detectors}
    if progress is not None:
        progress(N_("ranking the findings against each account's history"))
    return rank(engine, found, config, configs), configs
