"""Generated *worlds* in the IBM AMLworld CSV format, for training and judging models.

A model that learns one generator's quirks fails on the next data set. So every
world draws its own parameters from its seed: how many banks and currencies,
the mix of legitimate activity, the scale of laundering amounts, how fast
laundered money moves, the degree of fans, the length of cycles, the payment
formats launderers use. Training on some worlds and judging on others (other
seeds, other mixes, other parameters) measures what carries over.

Legitimate activity (each a separate *world* of behaviour, weighted per world):

- payroll runs: employers pay their employees the same amount every period;
- card purchases at merchants (a few popular merchants, many small ones);
- rent and utilities: fixed rent monthly, variable utility bills;
- family repayment cycles: a loan paid back in instalments, and gifts that
  go round a family (legitimate time-respecting cycles);
- payment processors: buyers pay a processor by card, the processor pays out
  its sellers daily (a legitimate fan-in and fan-out);
- cash desks: every bank has one cash desk account (``<bank>:CASHDESK``);
  people withdraw round amounts at it (ATM), businesses and people deposit
  cash through it (a shop's takings can come close to the reporting
  threshold once in a while, which is not structuring);
- reinvestment: an account pays itself (AMLworld's ``Reinvestment``);
- business-to-business payments by wire or cheque.

Every account holds one currency (that of its bank); a payment is paid in the
payer's currency and received in the payee's at the day's rate (each currency
follows its own random walk), so cross-currency payments occur where they
would.

Laundering, labelled on its transactions (``Is Laundering``) and listed in the
patterns file: AMLworld's FAN-OUT, FAN-IN, GATHER-SCATTER, SCATTER-GATHER,
CYCLE, RANDOM, BIPARTITE and STACK, plus STRUCTURING (cash deposits just
under the deposit currency's reporting threshold, then sent on) and MULE
(pass-through: received and sent on within hours). Launderers are ordinary
account holders who also have legitimate activity.

Everything is vectorised with numpy; the CSV is written in chunks through
Arrow, so five million rows take well under a minute.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tocsin.errors import InputError

HOUR = 3600
DAY = 24 * HOUR

#: Payment formats as AMLworld writes them.
FORMATS = ("Reinvestment", "Cheque", "Credit Card", "ACH", "Cash", "Wire", "Bitcoin")
F_REINVEST, F_CHEQUE, F_CARD, F_ACH, F_CASH, F_WIRE, F_BTC = range(len(FORMATS))

#: Currencies (AMLworld name, ISO code, units per US dollar at the start). Cash
#: reporting thresholds come from tocsin/money/data/thresholds.yaml.
CURRENCIES: tuple[tuple[str, str, float], ...] = (
    ("US Dollar", "USD", 1.0),
    ("Euro", "EUR", 0.92),
    ("UK Pound", "GBP", 0.79),
    ("Swiss Franc", "CHF", 0.88),
    ("Canadian Dollar", "CAD", 1.36),
    ("Australian Dollar", "AUD", 1.52),
    ("Yen", "JPY", 148.0),
    ("Yuan", "CNY", 7.2),
    ("Rupee", "INR", 83.0),
    ("Mexican Peso", "MXN", 17.1),
    ("Brazil Real", "BRL", 4.95),
    ("Saudi Riyal", "SAR", 3.75),
    ("Shekel", "ILS", 3.65),
    ("Ruble", "RUB", 91.0),
)
#: Laundering pattern names (AMLworld's eight, then the two added here).
PATTERNS = ("FAN-OUT", "FAN-IN", "GATHER-SCATTER", "SCATTER-GATHER", "CYCLE", "RANDOM",
            "BIPARTITE", "STACK", "STRUCTURING", "MULE")
#: Legitimate behaviours a world mixes.
BACKGROUND = ("payroll", "card", "rent", "utilities", "family", "processor", "cash",
              "reinvestment", "b2b")

HEADER = ("Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
          "Amount Paid,Payment Currency,Payment Format,Is Laundering\n")


@dataclass(frozen=True)
class WorldParams:
    """Everything that makes one world different from another; see :func:`draw_params`."""

    seed: int
    accounts: int
    transactions: int
    days: int
    start: datetime
    banks: int
    currencies: tuple[str, ...]
    currency_weights: tuple[float, ...]
    #: Share of the legitimate transactions per behaviour (keys of BACKGROUND).
    mix: dict[str, float]
    #: Share of all transactions that are laundering.
    laundering_share: float
    #: Relative frequency of each pattern (keys of PATTERNS).
    pattern_weights: dict[str, float]
    #: Median laundered amount per payment, in US dollars, and its spread (log-normal sigma).
    laundering_amount: float
    laundering_sigma: float
    #: Median legitimate transfer, in US dollars (card purchases are smaller).
    background_amount: float
    #: Hours between two hops of a laundering chain: (low, high).
    hop_hours: tuple[float, float]
    fan_degree: tuple[int, int]
    cycle_length: tuple[int, int]
    #: Probability of each payment format for laundering payments (index of FORMATS).
    laundering_formats: tuple[float, ...]
    #: Employers pay every 14 or 30 days.
    pay_period_days: int
    #: Share of the amount kept at each laundering hop (fees), (low, high).
    hop_keep: tuple[float, float]
    #: Payments carry a date only (midnight), as in exports without booking times.
    dates_only: bool = False
    #: Longest period of the regular transfers between holders (``peers``), in days:
    #: beyond 30, a pair may meet once or twice in the world's time.
    peer_period_days: float = 30.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat()
        return out


def draw_params(seed: int, transactions: int = 200_000, accounts: int | None = None,
                **overrides: Any) -> WorldParams:
    """Draw a world's parameters from its seed (``overrides`` fix any of them)."""
    rng = np.random.default_rng([seed, 20240917])
    accounts = accounts or max(2_000, transactions // 10)
    n_cur = int(rng.integers(3, len(CURRENCIES) + 1))
    chosen = [CURRENCIES[0][1], *[c[1] for c in rng.permutation(CURRENCIES[1:])[:n_cur - 1]]]
    weights = rng.dirichlet(np.full(n_cur, 0.8)) * 0.6
    weights[0] += 0.4  # one dominant currency, as in most banking data
    mix_raw = rng.dirichlet(np.array([2.0, 6.0, 1.5, 1.5, 1.0, 1.5, 1.5, 0.6, 1.2]))
    mix = {k: float(v) for k, v in zip(BACKGROUND, mix_raw, strict=True)}
    pattern_raw = rng.dirichlet(np.full(len(PATTERNS), 3.0))
    scale = float(np.exp(rng.uniform(np.log(40.0), np.log(40_000.0))))
    hop_lo = float(rng.uniform(0.5, 24.0))
    fan_lo = int(rng.integers(3, 7))
    formats = rng.dirichlet(np.array([0.3, 1.0, 0.6, 3.0, 0.8, 2.0, 0.5]))
    keep_lo = float(rng.uniform(0.85, 0.97))
    params = WorldParams(
        seed=seed, accounts=accounts, transactions=transactions,
        days=int(rng.integers(30, 121)),
        start=datetime(2022, 1, 1, tzinfo=UTC).replace(month=int(rng.integers(1, 13))),
        banks=int(rng.integers(5, 60)),
        currencies=tuple(chosen),
        currency_weights=tuple(float(w) for w in weights / weights.sum()),
        mix=mix,
        laundering_share=float(rng.uniform(0.001, 0.004)),
        pattern_weights={k: float(v) for k, v in zip(PATTERNS, pattern_raw, strict=True)},
        laundering_amount=scale,
        laundering_sigma=float(rng.uniform(0.2, 0.9)),
        background_amount=float(np.exp(rng.uniform(np.log(50.0), np.log(3_000.0)))),
        hop_hours=(hop_lo, hop_lo * float(rng.uniform(2.0, 8.0))),
        fan_degree=(fan_lo, fan_lo + int(rng.integers(3, 14))),
        cycle_length=(int(rng.integers(3, 5)), int(rng.integers(5, 11))),
        laundering_formats=tuple(float(f) for f in formats),
        pay_period_days=int(rng.choice([14, 30])),
        hop_keep=(keep_lo, min(1.0, keep_lo + 0.03)),
    )
    return replace(params, **overrides) if overrides else params


def draw_spread_params(seed: int, transactions: int = 100_000, **overrides: Any
                       ) -> WorldParams:
    """A world whose laundering is mostly fan-in spread over weeks in small amounts, on a
    background dominated by regular transfers between account holders (each payee hears
    from the same few payers month after month).

    For choosing rule settings on such data without looking at any particular outside
    set: the spread (1 to 10 days between two payers of a fan), the degree (3 to 10
    payers), the amounts (1 % to 10 % of an ordinary transfer), the share of regular
    transfers (50 % to 80 % of the background), their longest period (30, 60 or 120
    days) and whether payments carry a date only are drawn per world.
    """
    rng = np.random.default_rng([seed, 20261204])
    base = draw_params(seed, transactions=transactions)
    peers = float(rng.uniform(0.5, 0.8))
    mix = {k: v * (1 - peers) for k, v in base.mix.items()}
    mix["peers"] = peers
    fan_in = float(rng.uniform(0.5, 0.8))
    others = {k: v * (1 - fan_in) / (1 - base.pattern_weights["FAN-IN"])
              for k, v in base.pattern_weights.items() if k != "FAN-IN"}
    lo = int(rng.integers(3, 5))
    params = replace(
        base, days=int(rng.integers(90, 201)), mix=mix,
        dates_only=bool(rng.random() < 0.5),
        peer_period_days=float(rng.choice([30.0, 60.0, 120.0])),
        pattern_weights={**others, "FAN-IN": fan_in},
        laundering_amount=base.background_amount * float(rng.uniform(0.01, 0.1)),
        hop_hours=(24.0, 24.0 * float(rng.uniform(3.0, 10.0))),
        fan_degree=(lo, lo + int(rng.integers(2, 7))))
    return replace(params, **overrides) if overrides else params


# --------------------------------------------------------------------------- accounts


@dataclass
class _Accounts:
    """Account indices by role; each account has a bank and a currency."""

    bank: np.ndarray
    currency: np.ndarray
    roles: dict[str, np.ndarray]
    cash_desk: np.ndarray  # per bank: the index of its cash desk account
    names: np.ndarray  # account number strings (object)

    @property
    def n(self) -> int:
        return len(self.bank)


ROLE_SHARES = {"person": 0.80, "business": 0.06, "merchant": 0.05, "seller": 0.05,
               "landlord": 0.025, "utility": 0.002, "processor": 0.001}


def _accounts(p: WorldParams, rng: np.random.Generator) -> _Accounts:
    n = p.accounts
    sizes = {r: max(3, int(n * s)) for r, s in ROLE_SHARES.items()}
    sizes["person"] = n - sum(v for k, v in sizes.items() if k != "person")
    if sizes["person"] < 500:
        raise InputError.single("world.accounts", f"{n} accounts are too few; need 1,000 or more")
    total = sum(sizes.values()) + p.banks
    # Banks carry one currency each; the dominant currency has most banks.
    bank_currency = rng.choice(len(p.currencies), size=p.banks, p=p.currency_weights)
    bank_currency[0] = 0
    bank_weight = rng.pareto(1.2, size=p.banks) + 0.2
    bank = rng.choice(p.banks, size=total, p=bank_weight / bank_weight.sum())
    roles: dict[str, np.ndarray] = {}
    at = 0
    for role, size in sizes.items():
        roles[role] = np.arange(at, at + size)
        at += size
    cash_desk = np.arange(at, at + p.banks)
    bank[cash_desk] = np.arange(p.banks)
    currency = bank_currency[bank]
    numbers = rng.choice(16 ** 7, size=total, replace=False) + 0x800000000
    names = np.array([f"{x:09X}" for x in numbers.tolist()], dtype=object)
    names[cash_desk] = "CASHDESK"
    return _Accounts(bank=bank, currency=currency, roles=roles, cash_desk=cash_desk, names=names)


# --------------------------------------------------------------------------- transactions


class _Rows:
    """Transactions collected as numpy chunks."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.attempts: list[tuple[str, np.ndarray]] = []  # pattern, row positions (filled later)
        self.count = 0

    def add(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray, usd: np.ndarray,
            fmt: np.ndarray | int, pattern: int = -1, attempt: int = -1) -> None:
        n = len(src)
        if n == 0:
            return
        fmt_arr = np.broadcast_to(np.asarray(fmt, dtype=np.int8), (n,)).copy()
        self.parts.append((np.asarray(src, np.int64), np.asarray(dst, np.int64),
                           np.asarray(t, np.int64), np.asarray(usd, np.float64), fmt_arr,
                           np.full(n, pattern, np.int8), np.full(n, attempt, np.int32)))
        self.count += n


def _zipf(rng: np.random.Generator, n: int, k: int, a: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** a
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    order = rng.permutation(n)
    return order[np.minimum(np.searchsorted(cdf, rng.random(k)), n - 1)]


def _daytime(rng: np.random.Generator, k: int, span: int) -> np.ndarray:
    days = rng.integers(0, max(1, span // DAY), size=k)
    return days * DAY + rng.integers(7 * HOUR, 22 * HOUR, size=k)


def _background(p: WorldParams, acc: _Accounts, rows: _Rows, rng: np.random.Generator,
                budget: int) -> None:
    span = p.days * DAY
    people, biz = acc.roles["person"], acc.roles["business"]
    scale = p.background_amount
    counts = {k: int(budget * v) for k, v in p.mix.items()}
    periods = max(1, p.days // p.pay_period_days)
    months = max(1, p.days // 30)

    def recurring(payers: np.ndarray, payees: np.ndarray, every: int, day: int, amount: np.ndarray,
                  vary: float, fmt: int, n_periods: int) -> None:
        for m in range(n_periods):
            t = (m * every + day) * DAY + rng.integers(0, 30 * HOUR, size=len(payers))
            amt = amount * (1 + rng.uniform(-vary, vary, size=len(payers)))
            ok = t < span
            rows.add(payers[ok], payees[ok], t[ok], amt[ok], fmt)

    # Payroll: Zipf-sized employers, the same salary every period.
    k = counts["payroll"] // periods
    employees = rng.choice(people, size=min(k, len(people)), replace=False)
    employer = np.concatenate([biz, acc.roles["merchant"]])[
        _zipf(rng, len(biz) + len(acc.roles["merchant"]), len(employees), 1.1)]
    salary = np.round(rng.lognormal(np.log(scale * 2.5), 0.4, size=len(employees)), 0)
    recurring(employer, employees, p.pay_period_days, int(rng.integers(0, 5)), salary, 0.0,
              int(rng.choice([F_ACH, F_WIRE, F_CHEQUE], p=[0.7, 0.2, 0.1])), periods)
    # Rent: fixed amount at the start of the month.
    k = counts["rent"] // months
    tenants = rng.choice(people, size=min(k, len(people)), replace=False)
    landlord = acc.roles["landlord"][rng.integers(0, len(acc.roles["landlord"]), len(tenants))]
    rent = np.round(rng.lognormal(np.log(scale * 1.2), 0.3, size=len(tenants)), 0)
    recurring(tenants, landlord, 30, 0, rent, 0.0, F_ACH, months)
    # Utilities: variable bills to a few companies.
    k = counts["utilities"] // months
    payers = rng.choice(people, size=min(k, len(people)), replace=False)
    utility = acc.roles["utility"][_zipf(rng, len(acc.roles["utility"]), len(payers), 1.0)]
    bill = rng.lognormal(np.log(scale * 0.1), 0.3, size=len(payers))
    recurring(payers, utility, 30, 10, bill, 0.25, F_ACH, months)
    # Card purchases at merchants.
    k = counts["card"]
    merchants = acc.roles["merchant"]
    src = people[rng.integers(0, len(people), size=k)]
    rows.add(src, merchants[_zipf(rng, len(merchants), k, 1.05)], _daytime(rng, k, span),
             rng.lognormal(np.log(scale * 0.05), 0.9, size=k), F_CARD)
    # Family: a loan repaid in instalments, and gifts around a family of three.
    k = counts["family"]
    loans = max(1, k // 8)
    lender = people[rng.integers(0, len(people), loans)]
    borrower = people[rng.integers(0, len(people), loans)]
    principal = rng.lognormal(np.log(scale * 3), 0.6, size=loans)
    t0 = rng.integers(0, max(1, span // 3), size=loans)
    rows.add(lender, borrower, t0, principal, F_WIRE)
    for i in range(1, 5):
        rows.add(borrower, lender, t0 + i * 7 * DAY + rng.integers(0, DAY, loans),
                 principal / 4, F_ACH)
    fam = max(1, k // 6)
    a, b, c = (people[rng.integers(0, len(people), fam)] for _ in range(3))
    t0 = rng.integers(0, max(1, span - 20 * DAY), size=fam)
    gift = rng.lognormal(np.log(scale * 0.3), 0.5, size=fam)
    for s, d, hop in ((a, b, 0), (b, c, 1), (c, a, 2)):
        rows.add(s, d, t0 + hop * rng.integers(2 * HOUR, 5 * DAY, fam), gift, F_ACH)
    # Payment processors: buyers pay by card, sellers are paid out daily.
    k = counts["processor"]
    procs, sellers = acc.roles["processor"], acc.roles["seller"]
    buys = k * 2 // 3
    proc_of = procs[_zipf(rng, len(procs), buys, 0.8)]
    rows.add(people[rng.integers(0, len(people), buys)], proc_of, _daytime(rng, buys, span),
             rng.lognormal(np.log(scale * 0.08), 0.8, buys), F_CARD)
    outs = k - buys
    seller = sellers[_zipf(rng, len(sellers), outs, 0.9)]
    day = rng.integers(0, max(1, span // DAY), outs)
    rows.add(procs[seller % len(procs)], seller, day * DAY + 5 * HOUR,
             rng.lognormal(np.log(scale * 0.6), 0.7, outs), F_ACH)
    # Cash: ATM withdrawals (round) and deposits by businesses and people.
    k = counts["cash"]
    w = k // 2
    who = people[rng.integers(0, len(people), w)]
    rows.add(who, acc.cash_desk[acc.bank[who]], _daytime(rng, w, span),
             rng.choice([20, 40, 50, 100, 200, 300, 500], w) * max(1.0, scale / 500), F_CASH)
    dep = k - w
    depositors = np.concatenate([biz, acc.roles["merchant"], people[:len(people) // 10]])
    to = depositors[rng.integers(0, len(depositors), dep)]
    amount = rng.lognormal(np.log(scale * 0.8), 1.0, dep)
    # Now and then a shop's takings land just under the threshold (once, not a pattern).
    near = rng.random(dep) < 0.01
    thr = _thresholds_usd(p, acc.currency[to])
    amount = np.where(near, thr * rng.uniform(0.85, 0.999, dep), amount)
    rows.add(acc.cash_desk[acc.bank[to]], to, _daytime(rng, dep, span), amount, F_CASH)
    # Reinvestment: an account pays itself.
    k = counts["reinvestment"]
    owners = np.concatenate([biz, people])[rng.integers(0, len(biz) + len(people), k)]
    rows.add(owners, owners, rng.integers(0, span, k),
             rng.lognormal(np.log(scale * 5), 1.0, k), F_REINVEST)
    # Business to business.
    k = counts["b2b"]
    firms = np.concatenate([biz, acc.roles["merchant"], acc.roles["seller"]])
    s = firms[rng.integers(0, len(firms), k)]
    d = firms[_zipf(rng, len(firms), k, 1.0)]
    ok = s != d
    rows.add(s[ok], d[ok], _daytime(rng, int(ok.sum()), span),
             rng.lognormal(np.log(scale * 4), 1.0, int(ok.sum())),
             rng.choice([F_WIRE, F_CHEQUE, F_ACH], int(ok.sum()), p=[0.4, 0.3, 0.3]))
    if counts.get("peers"):  # only in worlds that ask for it (see draw_spread_params)
        _peers(acc, rows, rng, counts["peers"], span, scale, p.peer_period_days)


def _peers(acc: _Accounts, rows: _Rows, rng: np.random.Generator, budget: int, span: int,
           scale: float, longest: float) -> None:
    """Regular transfers between account holders: standing orders, support paid to
    relatives, a firm's regular supplier. Each payer has a few payees (popular payees,
    Zipf, have many regular payers); each pair repeats its amount (give or take 10 %)
    every 7 to ``longest`` days, so a payee's payers are mostly the same ones month
    after month (with a long ``longest``, some pairs meet only once or twice)."""
    holders = np.concatenate([acc.roles["person"], acc.roles["business"]])
    period = rng.uniform(7, max(7.0, longest), size=max(1, budget))  # enough pairs
    per_pair = np.maximum(1, span / DAY / period).astype(np.int64)
    pairs = int(np.searchsorted(np.cumsum(per_pair), budget)) + 1
    period, per_pair = period[:pairs], per_pair[:pairs]
    payer = holders[rng.integers(0, len(holders), pairs)]
    payee = holders[_zipf(rng, len(holders), pairs, 0.6)]
    ok = payer != payee
    payer, payee, period, per_pair = payer[ok], payee[ok], period[ok], per_pair[ok]
    amount = rng.lognormal(np.log(scale * 0.6), 0.8, len(payer))
    phase = rng.uniform(0, 1, len(payer)) * period
    pair = np.repeat(np.arange(len(payer)), per_pair)
    nth = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    t = ((phase[pair] + nth * period[pair]) * DAY).astype(np.int64)
    t += rng.integers(-DAY // 2, DAY // 2, len(pair))
    keep = (t >= 0) & (t < span)
    amt = amount[pair] * rng.uniform(0.9, 1.1, len(pair))
    rows.add(payer[pair][keep], payee[pair][keep], t[keep], amt[keep],
             rng.choice([F_ACH, F_WIRE], int(keep.sum()), p=[0.7, 0.3]))


def _thresholds_usd(p: WorldParams, currency: np.ndarray) -> np.ndarray:
    from tocsin.money.features.base import thresholds

    per_usd = {c[1]: c[2] for c in CURRENCIES}
    limits = thresholds()
    table = np.array([limits[c] / per_usd[c] for c in p.currencies])
    return np.asarray(table[currency])


def _launder(p: WorldParams, acc: _Accounts, rows: _Rows, rng: np.random.Generator,
             budget: int) -> None:
    span = p.days * DAY
    # Launderers are ordinary holders (people and businesses) with legitimate activity too.
    pool = rng.permutation(np.concatenate([acc.roles["person"], acc.roles["business"]]))
    at = 0
    names = list(PATTERNS)
    weights = np.array([p.pattern_weights[k] for k in names])
    fmt_p = np.array(p.laundering_formats)
    attempt = 0

    def take(k: int) -> np.ndarray:
        nonlocal at
        if at + k > len(pool):
            raise InputError.single("world.laundering_share", "too few accounts for the "
                                    "laundering asked for; add accounts")
        out = pool[at:at + k]
        at += k
        return out

    def amount(k: int) -> np.ndarray:
        return rng.lognormal(np.log(p.laundering_amount), p.laundering_sigma, k)

    def hop(k: int = 1) -> np.ndarray:
        return (rng.uniform(p.hop_hours[0], p.hop_hours[1], k) * HOUR).astype(np.int64)

    def fmt(k: int) -> np.ndarray:
        f = rng.choice(len(FORMATS), size=k, p=fmt_p)
        return np.where(f == F_CASH, F_WIRE, f)  # cash goes through structuring only

    def degree() -> int:
        return int(rng.integers(p.fan_degree[0], p.fan_degree[1] + 1))

    def keep(k: int = 1) -> np.ndarray:
        return rng.uniform(p.hop_keep[0], p.hop_keep[1], k)

    def t_start(length: int) -> int:
        return int(rng.integers(0, max(1, span - length)))

    done = 0
    while done < budget:
        name = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        code = PATTERNS.index(name)
        src: np.ndarray
        dst: np.ndarray
        t: np.ndarray
        amt: np.ndarray
        if name in ("FAN-OUT", "FAN-IN"):
            k = degree()
            hub, others = take(1)[0], take(k)
            t = t_start(k * int(p.hop_hours[1] * HOUR)) + np.cumsum(hop(k))
            amt = amount(k)
            src, dst = (np.full(k, hub), others) if name == "FAN-OUT" else (others,
                                                                            np.full(k, hub))
        elif name == "GATHER-SCATTER":
            k_in, k_out = degree(), degree()
            hub, ins, outs = take(1)[0], take(k_in), take(k_out)
            t_in = t_start(3 * int(p.hop_hours[1] * HOUR) * (k_in + k_out)) + np.cumsum(hop(k_in))
            a_in = amount(k_in)
            t_out = t_in.max() + np.cumsum(hop(k_out))
            a_out = np.full(k_out, a_in.sum() * keep()[0] / k_out)
            src = np.concatenate([ins, np.full(k_out, hub)])
            dst = np.concatenate([np.full(k_in, hub), outs])
            t, amt = np.concatenate([t_in, t_out]), np.concatenate([a_in, a_out])
        elif name == "SCATTER-GATHER":
            k = degree()
            origin, dest, mids = take(1)[0], take(1)[0], take(k)
            t1 = t_start(4 * int(p.hop_hours[1] * HOUR)) + hop(k)
            a1 = amount(k)
            t2 = t1 + hop(k)
            src = np.concatenate([np.full(k, origin), mids])
            dst = np.concatenate([mids, np.full(k, dest)])
            t, amt = np.concatenate([t1, t2]), np.concatenate([a1, a1 * keep(k)])
        elif name == "CYCLE":
            k = int(rng.integers(p.cycle_length[0], p.cycle_length[1] + 1))
            ring = take(k)
            t = t_start(k * int(p.hop_hours[1] * HOUR)) + np.cumsum(hop(k))
            amt = amount(1)[0] * np.cumprod(keep(k))
            src, dst = ring, np.roll(ring, -1)
        elif name == "RANDOM":
            k = int(rng.integers(4, 9))
            members = take(int(rng.integers(3, 6)))
            walk = [int(rng.integers(0, len(members)))]
            for _ in range(k):
                nxt = int(rng.integers(0, len(members) - 1))
                walk.append(nxt if nxt < walk[-1] else nxt + 1)
            w = members[np.array(walk)]
            src, dst = w[:-1], w[1:]
            t = t_start(k * int(p.hop_hours[1] * HOUR)) + np.cumsum(hop(k))
            amt = amount(1)[0] * np.cumprod(keep(k))
        elif name == "BIPARTITE":
            left, right = take(int(rng.integers(2, 6))), take(int(rng.integers(2, 6)))
            pairs = np.array([(a, b) for a in left for b in right if rng.random() < 0.7]
                             or [(left[0], right[0])])
            src, dst = pairs[:, 0], pairs[:, 1]
            k = len(src)
            t = t_start(3 * int(p.hop_hours[1] * HOUR)) + hop(k)
            amt = amount(k)
        elif name == "STACK":
            layers = [take(int(rng.integers(2, 5))) for _ in range(3)]
            s_parts, d_parts, t_parts, a_parts = [], [], [], []
            t0 = t_start(6 * int(p.hop_hours[1] * HOUR))
            base = amount(1)[0]
            for depth, (a, b) in enumerate(itertools.pairwise(layers)):
                grid = np.array([(x, y) for x in a for y in b])
                s_parts.append(grid[:, 0])
                d_parts.append(grid[:, 1])
                t_parts.append(t0 + depth * int(p.hop_hours[1] * HOUR) + hop(len(grid)))
                a_parts.append(base * keep(len(grid)) ** (depth + 1))
            src, dst = np.concatenate(s_parts), np.concatenate(d_parts)
            t, amt = np.concatenate(t_parts), np.concatenate(a_parts)
        elif name == "STRUCTURING":
            holder = take(1)[0]
            k = int(rng.integers(3, 12))
            thr = _thresholds_usd(p, acc.currency[np.array([holder])])[0]
            t_dep = t_start(12 * DAY) + np.sort(rng.integers(0, int(rng.integers(2, 12)) * DAY, k))
            a_dep = thr * rng.uniform(0.80, 0.995, k)
            out = take(1)[0]
            src = np.concatenate([np.full(k, acc.cash_desk[acc.bank[holder]]), [holder]])
            dst = np.concatenate([np.full(k, holder), [out]])
            t = np.concatenate([t_dep, [t_dep.max() + hop(1)[0]]])
            amt = np.concatenate([a_dep, [a_dep.sum() * keep()[0]]])
            f = np.concatenate([np.full(k, F_CASH), fmt(1)])
            rows.add(src, dst, np.minimum(t, span - 1), amt, f, code, attempt)
            attempt += 1
            done += len(src)
            continue
        else:  # MULE: received and passed on within hours, a few times
            mule = take(1)[0]
            k = int(rng.integers(1, 4))
            payers, receivers = take(k), take(k)
            t_in = t_start(k * 3 * DAY) + np.arange(k) * DAY * int(rng.integers(1, 4)) + hop(k)
            a_in = amount(k)
            src = np.concatenate([payers, np.full(k, mule)])
            dst = np.concatenate([np.full(k, mule), receivers])
            t = np.concatenate([t_in, t_in + (rng.uniform(0.2, 1.0, k) * hop(k)).astype(np.int64)])
            amt = np.concatenate([a_in, a_in * keep(k)])
        rows.add(src, dst, np.minimum(t, span - 1), amt, fmt(len(src)), code, attempt)
        attempt += 1
        done += len(src)


# --------------------------------------------------------------------------- writing


@dataclass
class World:
    """A generated world in memory: one row per transaction, sorted by time."""

    params: WorldParams
    accounts: _Accounts
    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    paid: np.ndarray  # in the payer's currency
    received: np.ndarray  # in the payee's currency
    fmt: np.ndarray
    pattern: np.ndarray  # index of PATTERNS, -1 for legitimate
    attempt: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.src)


def generate(p: WorldParams) -> World:
    """The world's transactions (deterministic for its parameters)."""
    rng = np.random.default_rng(p.seed)
    acc = _accounts(p, rng)
    rows = _Rows()
    launder = int(p.transactions * p.laundering_share)
    _launder(p, acc, rows, rng, launder)
    _background(p, acc, rows, rng, max(0, p.transactions - rows.count))
    src, dst, t, usd, fmt, pattern, attempt = (np.concatenate([part[i] for part in rows.parts])
                                               for i in range(7))
    t = t - t % (DAY if p.dates_only else 60)  # AMLworld timestamps are to the minute
    order = np.lexsort((attempt, dst, src, t))
    src, dst, t, usd, fmt, pattern, attempt = (a[order] for a in (src, dst, t, usd, fmt,
                                                                  pattern, attempt))
    # Daily rates: every currency follows its own random walk around its start value.
    days = np.minimum(t // DAY, p.days)  # a late repayment may fall after the last day
    walk = np.exp(np.cumsum(rng.normal(0, 0.004, size=(p.days + 1, len(p.currencies))),
                            axis=0))
    per_usd = {c[1]: c[2] for c in CURRENCIES}
    start = np.array([per_usd[c] for c in p.currencies])
    daily = walk * start  # units per USD, per day and currency
    pay_cur, recv_cur = acc.currency[src], acc.currency[dst]
    paid = np.round(usd * daily[days, pay_cur], 2)
    received = np.round(paid / daily[days, pay_cur] * daily[days, recv_cur], 2)
    paid = np.maximum(paid, 0.01)
    received = np.maximum(received, 0.01)
    counts = {name: int((pattern == i).sum()) for i, name in enumerate(PATTERNS)}
    return World(p, acc, src, dst, t, paid, received, fmt, pattern, attempt, counts)


def _bank_names(n: int) -> np.ndarray:
    return np.array([f"{b:03d}" if b < 1000 else str(b) for b in range(10, 10 + n)],
                    dtype=object)


def write(p: WorldParams, out_dir: Path, name: str | None = None,
          chunk: int = 1_000_000) -> tuple[Path, Path]:
    """Generate a world and write ``<name>_Trans.csv`` and ``<name>_Patterns.txt``.

    Returns both paths. The CSV is written in chunks of ``chunk`` rows.
    """
    world = generate(p)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"world{p.seed}"
    trans, patterns = out_dir / f"{name}_Trans.csv", out_dir / f"{name}_Patterns.txt"
    banks = pa.array(_bank_names(p.banks), pa.string())
    acc = world.accounts
    account_names = pa.array(acc.names, pa.string())
    bank_of = acc.bank
    cur_names = pa.array([next(c[0] for c in CURRENCIES if c[1] == iso)
                          for iso in p.currencies], pa.string())
    fmt_names = pa.array(FORMATS, pa.string())
    start_us = int(p.start.timestamp() * 1_000_000)

    def lines(idx: np.ndarray) -> pa.Array:
        s, d = world.src[idx], world.dst[idx]
        ts = pa.array(start_us + world.t[idx] * 1_000_000, pa.timestamp("us", tz="UTC"))
        cols = [
            pc.strftime(ts, format="%Y/%m/%d %H:%M"),
            banks.take(pa.array(bank_of[s])), account_names.take(pa.array(s)),
            banks.take(pa.array(bank_of[d])), account_names.take(pa.array(d)),
            _amounts(world.received[idx]), cur_names.take(pa.array(acc.currency[d])),
            _amounts(world.paid[idx]), cur_names.take(pa.array(acc.currency[s])),
            fmt_names.take(pa.array(world.fmt[idx].astype(np.int64))),
            pa.array(np.where(world.pattern[idx] >= 0, "1", "0").astype(object), pa.string()),
        ]
        joined = pc.binary_join_element_wise(*cols, ",")
        return pc.binary_join_element_wise(joined, "\n", "")

    with trans.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for lo in range(0, world.size, chunk):
            text = lines(np.arange(lo, min(world.size, lo + chunk)))
            out.write("".join(text.to_pylist()))
    with patterns.open("w", encoding="utf-8", newline="") as out:
        rows = np.flatnonzero(world.pattern >= 0)
        order = rows[np.lexsort((rows, world.attempt[rows]))]
        text = lines(order).to_pylist()
        bounds = np.flatnonzero(np.diff(world.attempt[order])) + 1
        at = 0
        for group in np.split(order, bounds):
            if not len(group):
                continue
            name_ = PATTERNS[int(world.pattern[group[0]])]
            out.write(f"BEGIN LAUNDERING ATTEMPT - {name_}\n")
            out.write("".join(text[at:at + len(group)]))
            at += len(group)
            out.write(f"END LAUNDERING ATTEMPT - {name_}\n\n")
    (out_dir / f"{name}_params.json").write_text(_json(world), encoding="utf-8")
    return trans, patterns


def _json(world: World) -> str:
    import json

    return json.dumps({"params": world.params.to_dict(), "transactions": world.size,
                       "laundering": world.counts}, indent=2)


def _amounts(values: np.ndarray) -> pa.Array:
    """Two decimals, as AMLworld writes them."""
    cents = np.round(values * 100).astype(np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def ingest_world(p: WorldParams, out_dir: Path, name: str | None = None) -> Path:
    """Write a world as AMLworld CSV and import it (through the AMLworld importer)."""
    from tocsin.money.ingest import ingest

    trans, patterns = write(p, out_dir / "csv", name)
    target = out_dir / "set"
    ingest("amlworld", [trans, patterns], target)
    return target
