"""A synthetic transaction set with legitimate background and labelled laundering.

The background is built so that a high degree is not guilt by itself: employers
pay many employees every month, merchants receive many card payments, people pay
rent and utility bills, send money to family, save, withdraw and deposit cash
and send remittances abroad. Into it we inject every laundering pattern the
detectors look for, each labelled on its transactions (``label``,
``label_pattern``) and its accounts (``label``).

Everything is vectorised with numpy and Arrow compute, so five million
transactions over half a million accounts take seconds, and the same seed
always gives the same set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.errors import InputError, Problem
from tocsin.money import schema

HOUR = 3600
DAY = 24 * HOUR

#: Pattern names written to ``label_pattern`` (AMLworld spelling where it has one).
PATTERNS = (
    "FAN-OUT",
    "FAN-IN",
    "GATHER-SCATTER",
    "SCATTER-GATHER",
    "CYCLE",
    "BIPARTITE",
    "STACK",
    "STRUCTURING",
    "MULE",
    "SPREAD-FAN-IN",
    "SPLIT-PAYMENTS",
)
#: Patterns injected only when ``pattern_counts`` asks for them.
ON_REQUEST = ("SPREAD-FAN-IN", "SPLIT-PAYMENTS")


@dataclass(frozen=True)
class SyntheticConfig:
    """How big the set is and how many of each laundering pattern it holds."""

    accounts: int = 20_000
    transactions: int = 200_000
    #: Number of injected instances of each pattern (see ``PATTERNS``).
    patterns: int = 20
    #: Per-pattern override of ``patterns``, e.g. ``{"CYCLE": 50}``.
    pattern_counts: dict[str, int] = field(default_factory=dict)
    days: int = 120
    seed: int = 7
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    currency: str = "EUR"
    reporting_threshold: float = 10_000.0

    def count(self, pattern: str) -> int:
        default = 0 if pattern in ON_REQUEST else self.patterns
        return self.pattern_counts.get(pattern, default)


class _Txns:
    """Transactions collected as numpy chunks (account indices, seconds, amounts)."""

    def __init__(self) -> None:
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.t: list[np.ndarray] = []
        self.amount: list[np.ndarray] = []
        self.channel: list[np.ndarray] = []
        self.pattern: list[np.ndarray] = []

    def add(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        t: np.ndarray,
        amount: np.ndarray,
        channel: str,
        pattern: int = -1,
    ) -> None:
        n = len(src)
        if n == 0:
            return
        self.src.append(np.asarray(src, dtype=np.int64))
        self.dst.append(np.asarray(dst, dtype=np.int64))
        self.t.append(np.asarray(t, dtype=np.int64))
        self.amount.append(np.round(np.asarray(amount, dtype=np.float64), 2))
        self.channel.append(np.full(n, _CHANNELS.index(channel), dtype=np.int8))
        self.pattern.append(np.full(n, pattern, dtype=np.int8))

    def size(self) -> int:
        return sum(len(a) for a in self.src)


_CHANNELS = ("transfer", "card", "cash", "standing_order", "wire", "crypto")


class _Accounts:
    """Account index ranges by role."""

    def __init__(self, cfg: SyntheticConfig, rng: np.random.Generator) -> None:
        n = cfg.accounts
        fixed = {
            "employer": max(2, n // 100),
            "merchant": max(3, n // 50),
            "utility": max(2, min(40, n // 2000)),
            "landlord": max(2, n // 40),
            "cash": max(2, n // 1000),
            "foreign": max(4, n // 50),
            "crypto": max(2, n // 500),
        }
        # Laundering needs its own dedicated end points and a pool of mules.
        people = n - sum(fixed.values())
        if people < max(200, 60 * cfg.patterns):
            raise InputError(
                [
                    Problem(
                        "synthetic.accounts",
                        f"{n} accounts leave {people} private accounts; need at least "
                        f"{max(200, 60 * cfg.patterns)} for {cfg.patterns} patterns per type",
                    )
                ]
            )
        self.ranges: dict[str, tuple[int, int]] = {}
        start = 0
        for role, size in [("person", people), *fixed.items()]:
            self.ranges[role] = (start, start + size)
            start += size
        self.n = start
        self.rng = rng
        # Mules and laundering accounts are drawn without replacement from people.
        lo, hi = self.ranges["person"]
        self._pool = rng.permutation(np.arange(lo, hi))
        self._pool_at = 0
        self.label = np.zeros(self.n, dtype=bool)

    def role(self, name: str) -> np.ndarray:
        lo, hi = self.ranges[name]
        return np.arange(lo, hi)

    def size(self, name: str) -> int:
        lo, hi = self.ranges[name]
        return hi - lo

    def pick(self, name: str, k: int) -> np.ndarray:
        lo, hi = self.ranges[name]
        return self.rng.integers(lo, hi, size=k)

    def draw_people(self, k: int) -> np.ndarray:
        """Fresh private accounts that take part in laundering (labelled)."""
        if self._pool_at + k > len(self._pool):
            raise InputError.single("synthetic.patterns", "not enough private accounts")
        out = self._pool[self._pool_at : self._pool_at + k]
        self._pool_at += k
        self.label[out] = True
        return out

    def people_pool(self) -> np.ndarray:
        """People not (yet) used for laundering, for background activity."""
        return self._pool[self._pool_at :]


def generate(cfg: SyntheticConfig) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Build the transactions, accounts and parties tables (canonical schemas)."""
    rng = np.random.default_rng(cfg.seed)
    acc = _Accounts(cfg, rng)
    txns = _Txns()
    span = cfg.days * DAY
    # Patterns first so their accounts are reserved before background is spread.
    _inject_patterns(cfg, acc, txns, rng, span)
    pattern_n = txns.size()
    _background(cfg, acc, txns, rng, span, max(0, cfg.transactions - pattern_n))
    return _tables(cfg, acc, txns)


def write(cfg: SyntheticConfig, out_dir: Path) -> Path:
    """Generate a set and write it in the canonical layout to ``out_dir``."""
    transactions, accounts, parties = generate(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(transactions, out_dir / "transactions.parquet")
    pq.write_table(accounts, out_dir / "accounts.parquet")
    pq.write_table(parties, out_dir / "parties.parquet")
    return out_dir


# --------------------------------------------------------------------------- background


def _background(
    cfg: SyntheticConfig,
    acc: _Accounts,
    txns: _Txns,
    rng: np.random.Generator,
    span: int,
    budget: int,
) -> None:
    people = np.sort(acc.role("person"))
    n_people = len(people)
    months = max(1, cfg.days // 30)
    # Half of the budget goes to monthly recurring payments, the rest to
    # card payments, family, savings, cash and remittances.
    per_person_month = 0.5 * budget / max(1, n_people * months)
    p_salary = min(0.75, per_person_month * 0.4)
    p_rent = min(0.55, per_person_month * 0.3)
    p_utility = min(1.0, per_person_month * 0.3)

    def monthly(payers: np.ndarray, payees: np.ndarray, day: int, jitter_h: int,
                low: float, high: float, channel: str) -> None:
        if len(payers) == 0:
            return
        base = rng.uniform(low, high, size=len(payers))
        for m in range(months):
            t = m * 30 * DAY + day * DAY + rng.integers(0, jitter_h * HOUR, size=len(payers))
            # Salaries and rents vary a little month to month.
            amt = base * rng.uniform(0.98, 1.02, size=len(payers))
            keep = t < span
            txns.add(payers[keep], payees[keep], t[keep], amt[keep], channel)

    # Salaries: employers (Zipf-sized) pay employees around the 25th.
    employed = people[rng.random(n_people) < p_salary]
    employers = acc.role("employer")
    emp_of = employers[_zipf_choice(rng, len(employers), len(employed), 1.1)]
    monthly(emp_of, employed, 24, 30, 1_400, 5_500, "transfer")
    # Rent to landlords, standing order at the start of the month.
    tenants = people[rng.random(n_people) < p_rent]
    monthly(tenants, acc.pick("landlord", len(tenants)), 0, 60, 450, 1_600, "standing_order")
    # Utility bills: a few large utility companies.
    payers = people[rng.random(n_people) < p_utility]
    monthly(payers, acc.pick("utility", len(payers)), 10, 96, 40, 220, "standing_order")

    rest = max(0, budget - txns_background_size(txns))
    shares = {"card": 0.70, "family": 0.10, "savings": 0.05, "cash_out": 0.06,
              "cash_in": 0.04, "remit": 0.03, "supplier": 0.02}
    counts = {k: int(rest * v) for k, v in shares.items()}
    counts["card"] += rest - sum(counts.values())

    # Card payments: any person at a popular merchant, daytime, small amounts.
    n = counts["card"]
    merchants = acc.role("merchant")
    src = people[rng.integers(0, n_people, size=n)]
    dst = merchants[_zipf_choice(rng, len(merchants), n, 1.05)]
    txns.add(src, dst, _daytime(rng, n, span), rng.lognormal(3.3, 0.9, size=n), "card")
    # Family transfers: each person has a few relatives (fixed pairs).
    n = counts["family"]
    rel_a = people[rng.integers(0, n_people, size=max(1, n_people // 2))]
    rel_b = people[rng.integers(0, n_people, size=len(rel_a))]
    pick = rng.integers(0, len(rel_a), size=n)
    flip = rng.random(n) < 0.5
    src = np.where(flip, rel_a[pick], rel_b[pick])
    dst = np.where(flip, rel_b[pick], rel_a[pick])
    ok = src != dst
    txns.add(src[ok], dst[ok], rng.integers(0, span, size=n)[ok],
             rng.lognormal(4.5, 0.8, size=n)[ok], "transfer")
    # Savings: a person moves money to a savings account of the same person
    # (modelled as the next private account index, so the pair is stable).
    n = counts["savings"]
    src = people[rng.integers(0, n_people - 1, size=n)]
    txns.add(src, src + 1, rng.integers(0, span, size=n), rng.lognormal(5.5, 0.7, size=n),
             "transfer")
    # Cash withdrawals and deposits at cash desks / ATMs (legitimate cash use).
    n = counts["cash_out"]
    txns.add(people[rng.integers(0, n_people, size=n)], acc.pick("cash", n),
             _daytime(rng, n, span), rng.choice([50, 100, 200, 300, 500], size=n), "cash")
    n = counts["cash_in"]
    # Merchants and people deposit cash; a few merchants' takings land just
    # under the threshold once, which is not structuring.
    dep_to = np.where(rng.random(n) < 0.3, acc.pick("merchant", n),
                      people[rng.integers(0, n_people, size=n)])
    amt = np.where(rng.random(n) < 0.02, rng.uniform(9_000, 9_999, size=n),
                   rng.lognormal(6.0, 1.0, size=n))
    txns.add(acc.pick("cash", n), dep_to, _daytime(rng, n, span), amt, "cash")
    # Remittances abroad (foreign end points are not guilt by themselves).
    n = counts["remit"]
    txns.add(people[rng.integers(0, n_people, size=n)], acc.pick("foreign", n),
             rng.integers(0, span, size=n), rng.lognormal(5.3, 0.8, size=n), "wire")
    # Merchants pay suppliers (employers) and utilities.
    n = counts["supplier"]
    txns.add(acc.pick("merchant", n), acc.pick("employer", n), _daytime(rng, n, span),
             rng.lognormal(7.5, 0.8, size=n), "transfer")


def txns_background_size(txns: _Txns) -> int:
    return sum(len(a) for a, p in zip(txns.src, txns.pattern, strict=True) if p[0] < 0)


def _zipf_choice(rng: np.random.Generator, n: int, k: int, a: float) -> np.ndarray:
    """k draws from range(n) with Zipf-like popularity (a few big hubs)."""
    weights = 1.0 / np.arange(1, n + 1) ** a
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    order = rng.permutation(n)  # the popular ones are not always the lowest indices
    return order[np.minimum(np.searchsorted(cdf, rng.random(k)), n - 1)]


def _daytime(rng: np.random.Generator, n: int, span: int) -> np.ndarray:
    days = rng.integers(0, max(1, span // DAY), size=n)
    return days * DAY + rng.integers(8 * HOUR, 21 * HOUR, size=n)


# --------------------------------------------------------------------------- patterns


def _inject_patterns(
    cfg: SyntheticConfig, acc: _Accounts, txns: _Txns, rng: np.random.Generator, span: int
) -> None:
    margin = 10 * DAY
    threshold = cfg.reporting_threshold

    def start() -> int:
        # Laundering happens after the first month so recurring activity exists.
        return int(rng.integers(min(30 * DAY, span // 4), max(span - margin, span // 2)))

    def amount() -> float:
        return float(rng.uniform(8_000, 60_000))

    def end_point() -> int:
        role = rng.choice(["foreign", "crypto", "cash"], p=[0.5, 0.25, 0.25])
        if role == "cash":
            return int(acc.pick("cash", 1)[0])  # shared cash desk, not labelled
        point = int(acc.pick(str(role), 1)[0])
        acc.label[point] = True
        return point

    def add(src: list[int], dst: list[int], t: list[int], amt: list[float],
            name: str, channel: str = "transfer") -> None:
        txns.add(np.array(src), np.array(dst), np.array(t), np.array(amt), channel,
                 PATTERNS.index(name))

    def hop_delay(lo_h: float, hi_h: float) -> int:
        return int(rng.uniform(lo_h * HOUR, hi_h * HOUR))

    for _ in range(cfg.count("FAN-OUT")):
        k = int(rng.integers(6, 13))
        hub, *outs = acc.draw_people(k + 1)
        t0, total = start(), amount()
        src, dst, ts, am = [], [], [], []
        for o in outs:
            src.append(hub)
            dst.append(o)
            ts.append(t0 + hop_delay(0.5, 40))
            am.append(total / k * rng.uniform(0.9, 1.0))
        add(src, dst, ts, am, "FAN-OUT")

    for _ in range(cfg.count("FAN-IN")):
        k = int(rng.integers(6, 13))
        hub, *ins = acc.draw_people(k + 1)
        t0, total = start(), amount()
        ts = [t0 + hop_delay(0.5, 40) for _ in ins]
        am = [total / k * rng.uniform(0.9, 1.0) for _ in ins]
        end = end_point()
        add([*list(ins), hub], [hub] * k + [end], [*ts, max(ts) + hop_delay(2, 20)],
            [*am, sum(am) * 0.97], "FAN-IN", "transfer")

    for _ in range(cfg.count("GATHER-SCATTER")):
        k_in, k_out = int(rng.integers(5, 10)), int(rng.integers(5, 10))
        hub, *rest = acc.draw_people(1 + k_in + k_out)
        ins, outs = rest[:k_in], rest[k_in:]
        t0, total = start(), amount()
        ts_in = [t0 + hop_delay(0.5, 30) for _ in ins]
        am_in = [total / k_in * rng.uniform(0.9, 1.0) for _ in ins]
        t_mid = max(ts_in)
        ts_out = [t_mid + hop_delay(1, 30) for _ in outs]
        am_out = [sum(am_in) * 0.97 / k_out for _ in outs]
        add(list(ins) + [hub] * k_out, [hub] * k_in + list(outs), ts_in + ts_out,
            am_in + am_out, "GATHER-SCATTER")

    for _ in range(cfg.count("SCATTER-GATHER")):
        k = int(rng.integers(4, 9))
        origin, dest, *mids = acc.draw_people(k + 2)
        t0, total = start(), amount()
        src, dst, ts, am = [], [], [], []
        for m in mids:
            t1 = t0 + hop_delay(0.5, 20)
            a1 = total / k * rng.uniform(0.9, 1.0)
            src += [origin, m]
            dst += [m, dest]
            ts += [t1, t1 + hop_delay(1, 30)]
            am += [a1, a1 * rng.uniform(0.95, 0.99)]
        end = end_point()
        src.append(dest)
        dst.append(end)
        ts.append(max(ts) + hop_delay(2, 24))
        am.append(sum(am[1::2]) * 0.98)
        add(src, dst, ts, am, "SCATTER-GATHER")

    for _ in range(cfg.count("CYCLE")):
        k = int(rng.integers(3, 9))
        ring = list(acc.draw_people(k))
        t, a = start(), amount()
        src, dst, ts, am = [], [], [], []
        for i in range(k):
            t += hop_delay(1, 20)
            src.append(ring[i])
            dst.append(ring[(i + 1) % k])
            ts.append(t)
            am.append(a)
            a *= rng.uniform(0.96, 0.995)
        add(src, dst, ts, am, "CYCLE")

    for _ in range(cfg.count("BIPARTITE")):
        m, n = int(rng.integers(3, 6)), int(rng.integers(2, 5))
        members = acc.draw_people(m + n)
        senders, receivers = members[:m], members[m:]
        t0, a = start(), amount() / (m * n)
        src, dst, ts, am = [], [], [], []
        for s in senders:
            for r in receivers:
                src.append(s)
                dst.append(r)
                ts.append(t0 + hop_delay(0.5, 60))
                am.append(a * rng.uniform(0.9, 1.1))
        add(src, dst, ts, am, "BIPARTITE")

    for _ in range(cfg.count("STACK")):
        k1, k2 = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        origin, dest, *layers = acc.draw_people(2 + k1 + k2)
        l1, l2 = layers[:k1], layers[k1:]
        t0, total = start(), amount()
        src, dst, ts, am = [], [], [], []
        into_l2: dict[int, list[tuple[int, float]]] = {b: [] for b in l2}
        for a_ in l1:
            t1, a1 = t0 + hop_delay(0.5, 10), total / k1
            src.append(origin)
            dst.append(a_)
            ts.append(t1)
            am.append(a1)
            for b in l2:
                t2, a2 = t1 + hop_delay(1, 12), a1 * 0.98 / k2
                src.append(a_)
                dst.append(b)
                ts.append(t2)
                am.append(a2)
                into_l2[b].append((t2, a2))
        for b, got in into_l2.items():
            t3 = max(t for t, _ in got) + hop_delay(1, 12)
            src.append(b)
            dst.append(dest)
            ts.append(t3)
            am.append(sum(a for _, a in got) * 0.98)
        add(src, dst, ts, am, "STACK")

    for _ in range(cfg.count("STRUCTURING")):
        k = int(rng.integers(8, 20))
        (holder,) = acc.draw_people(1)
        t0 = start()
        days = int(rng.integers(3, 10))
        ts = sorted(t0 + int(x) for x in rng.integers(0, days * DAY, size=k))
        am = list(rng.uniform(0.90 * threshold, threshold - 1, size=k))
        desks = acc.pick("cash", k)
        end = end_point()
        add([*list(desks), holder], [holder] * k + [end], [*ts, ts[-1] + hop_delay(6, 48)],
            [*am, sum(am) * 0.95], "STRUCTURING", "cash")

    for _ in range(cfg.count("MULE")):
        k = int(rng.integers(1, 4))
        mule, *payers = acc.draw_people(k + 1)
        t = start()
        src, dst, ts, am = [], [], [], []
        for p in payers:
            a = float(rng.uniform(2_000, 15_000))
            t += hop_delay(1, 48)
            src += [p, mule]
            dst += [mule, end_point()]
            ts += [t, t + hop_delay(0.3, 8)]
            am += [a, a * rng.uniform(0.90, 0.98)]
        add(src, dst, ts, am, "MULE")

    for _ in range(cfg.count("SPREAD-FAN-IN")):
        # Five strangers pay small sums over three weeks into an account that hears
        # from the same three payers every ten days (they are ordinary, not labelled).
        hub, *ins = acc.draw_people(6)
        for payer in acc.pick("person", 3):
            on = np.arange(1, max(2, span // DAY), 10)  # every ten days
            txns.add(np.full(len(on), payer), np.full(len(on), hub),
                     on * DAY + 10 * HOUR, rng.uniform(360, 440, len(on)), "transfer")
        t0 = start()
        ts = sorted(t0 + int(x) for x in rng.integers(0, 21 * DAY, size=len(ins)))
        add(list(ins), [hub] * len(ins), ts, list(rng.uniform(5, 20, len(ins))),
            "SPREAD-FAN-IN")

    for _ in range(cfg.count("SPLIT-PAYMENTS")):
        # Two payers, each with its usual payments of a few hundred to three payees,
        # cut a payment to the collector into four to six pieces of 2-9 within hours.
        hub, *payers = acc.draw_people(3)
        for payer in payers:
            for payee in acc.pick("person", 3):
                txns.add(np.array([payer]), np.array([payee]), np.array([start()]),
                         rng.uniform(200, 600, 1), "transfer")
            t0 = start()
            k = int(rng.integers(4, 7))
            ts = sorted(t0 + int(x) for x in rng.integers(0, 8 * HOUR, size=k))
            add([payer] * k, [hub] * k, ts, list(rng.uniform(2, 9, k)), "SPLIT-PAYMENTS")


# --------------------------------------------------------------------------- tables


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    padded = pc.utf8_lpad(numbers, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def _tables(cfg: SyntheticConfig, acc: _Accounts, txns: _Txns) -> tuple[pa.Table, pa.Table,
                                                                           pa.Table]:
    src = np.concatenate(txns.src)
    dst = np.concatenate(txns.dst)
    t = np.concatenate(txns.t)
    amount = np.concatenate(txns.amount)
    channel = np.concatenate(txns.channel)
    pattern = np.concatenate(txns.pattern)
    order = np.lexsort((dst, src, t))
    src, dst, t, amount, channel, pattern = (
        a[order] for a in (src, dst, t, amount, channel, pattern)
    )
    n = len(src)

    roles = np.empty(acc.n, dtype=object)
    kind_of = {"person": "domestic", "employer": "domestic", "landlord": "domestic",
               "merchant": "merchant", "utility": "merchant", "cash": "cash",
               "foreign": "foreign", "crypto": "crypto"}
    country = np.empty(acc.n, dtype=object)
    bank = np.empty(acc.n, dtype=object)
    rng = np.random.default_rng(cfg.seed + 1)
    for role, (lo, hi) in acc.ranges.items():
        roles[lo:hi] = kind_of[role]
        country[lo:hi] = "DE"
        bank[lo:hi] = np.array(["BANKDEFF", "SPKADE2H", "COBADEFF"])[rng.integers(0, 3, hi - lo)]
    lo, hi = acc.ranges["foreign"]
    country[lo:hi] = np.array(["AE", "HK", "CY", "PA", "TR", "RS"])[rng.integers(0, 6, hi - lo)]
    bank[lo:hi] = "FOREIGNBANK"
    for role in ("cash", "crypto"):
        lo, hi = acc.ranges[role]
        bank[lo:hi] = "CASHDESK" if role == "cash" else "VASP"
        country[lo:hi] = None

    account_ids = _ids("ACC", acc.n, 8)
    party_ids = _ids("P", acc.n, 8)
    accounts = pa.table(
        {
            "account_id": account_ids,
            "bank": pa.array(bank, pa.string()),
            "country": pa.array(country, pa.string()),
            "kind": pa.array(roles, pa.string()),
            "party_id": party_ids,
            "label": pa.array(acc.label),
            "source_ref": pc.binary_join_element_wise("synthetic:account:", account_ids, ""),
        },
        schema=schema.ACCOUNTS,
    )
    parties = pa.table(
        {
            "party_id": party_ids,
            "schema": pa.array(np.where(roles == "domestic", "Person", "Company").astype(object),
                               pa.string()),
            "name": pc.binary_join_element_wise("Synthetic party ", party_ids, ""),
            "country": pa.array(country, pa.string()),
            "properties": pa.nulls(acc.n, pa.string()),
            "source_ref": pc.binary_join_element_wise("synthetic:party:", party_ids, ""),
        },
        schema=schema.PARTIES,
    )
    start_us = int(cfg.start.timestamp() * 1_000_000)
    ts = pa.array(start_us + t * 1_000_000, pa.timestamp("us", tz="UTC"))
    txn_ids = _ids("T", n, 9)
    pattern_names = np.array(["", *PATTERNS], dtype=object)[pattern + 1]
    labelled = pattern >= 0
    pattern_arr = pa.array(np.where(labelled, pattern_names, None), pa.string())
    transactions = pa.table(
        {
            "txn_id": txn_ids,
            "ts": ts,
            "source": account_ids.take(pa.array(src)),
            "target": account_ids.take(pa.array(dst)),
            "amount": pa.array(amount),
            "amount_orig": pa.array(amount),
            "currency_orig": pa.array(np.full(n, cfg.currency, dtype=object), pa.string()),
            "channel": pa.array(np.array(_CHANNELS, dtype=object)[channel], pa.string()),
            "label": pa.array(labelled),
            "label_pattern": pattern_arr,
            "source_ref": pc.binary_join_element_wise("synthetic:", txn_ids, ""),
            "source_file": pa.nulls(n, pa.string()),  # generated, not read from a file
            "source_line": pa.nulls(n, pa.int64()),
        },
        schema=schema.TRANSACTIONS,
    )
    return transactions, accounts, parties
