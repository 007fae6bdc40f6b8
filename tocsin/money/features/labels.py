"""The model's features in words: what each measures and its value as a person reads it.

A score's explanation names the features that raised it. ``dst_in_once_168h = 4`` is
the feature's code and its raw value; an investigator reads "Payee: payments within 7
days from accounts that pay it only once: 4". Each feature's name is read from its
parts (the side, the measure, the window: see :mod:`tocsin.money.features.base`), and
each measure says how its value is shown: a count, a share, a duration, a ratio read
back from its logarithm, yes or no. Everything is a :class:`~tocsin.i18n.Message`, so
pages show it in their own language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tocsin.i18n import N_, Message, N_plural, Number
from tocsin.money.features.base import CHANNELS, DEFAULT, FeatureConfig, feature_names
from tocsin.money.findings import duration, figure

Shown = Message | Number | str


def _window(hours: int) -> Message:
    if hours % 24 == 0:
        return N_plural("%(count)s day", "%(count)s days", hours // 24, count=hours // 24)
    return N_plural("%(count)s hour", "%(count)s hours", hours, count=hours)


def _count(value: float) -> Shown:
    return Number(round(value), 0)


def _share(value: float) -> Shown:
    return N_("%(percent)s %%", percent=Number(100 * value, 0, group=False))


def _yes_no(value: float) -> Shown:
    return N_("yes") if value >= 0.5 else N_("no")


def _times(value: float) -> Shown:
    """A difference of logarithms read back as a ratio."""
    return N_("%(times)s times", times=Number(math.exp(value), 2 if abs(value) < 0.1 else 1))


def _either_way(value: float) -> Shown:
    return N_("%(times)s times larger or smaller", times=Number(math.exp(value), 1))


def _which_way(value: float, signed: float) -> Shown:
    """``amt_dev`` (a distance) told as larger or smaller by ``amt_rel``, its signed twin."""
    times = Number(math.exp(value), 1)
    if signed > 0:
        return N_("%(times)s times larger", times=times)
    if signed < 0:
        return N_("%(times)s times smaller", times=times)
    return _either_way(value)


def _duration(hours: float) -> Shown:
    return duration(hours * 3600)


def _amount(value: float) -> Shown:
    return figure(math.expm1(value))


def _channel(value: float) -> Shown:
    index = round(value)
    return CHANNELS[index] if 0 <= index < len(CHANNELS) else N_("another format")


#: How each way of showing a value is described in the docs' table.
_KINDS: dict[Callable[[float], Shown], str] = {
    _count: "a count", _share: "a percentage", _yes_no: "yes or no",
    _times: "times the usual (the log ratio read back)",
    _either_way: "times larger, or smaller (as its `amt_rel` says)", _amount: "an amount",
    _channel: "the format's name", _duration: "hours or days"}


@dataclass(frozen=True)
class Measure:
    """One measure: its words (``%(window)s`` filled in where it has a window) and how
    its value is shown; ``missing`` is what an empty value means for it."""

    label: Callable[[Message | None], Message]
    show: Callable[[float], Shown]
    missing: Callable[[], Message] = lambda: N_("none")
    #: The value is the window's length when nothing was found within it.
    capped: bool = False
    #: The measure of the same side whose sign tells which way this distance goes.
    signed_by: str | None = None


# Each label is a literal message (the catalogs are extracted from the source).
SIDE_MEASURES: dict[str, Measure] = {
    "in_n": Measure(lambda w: N_("payments received within %(window)s of this one", window=w),
                    _count),
    "out_n": Measure(lambda w: N_("payments made within %(window)s of this one", window=w),
                     _count),
    "in_cp": Measure(lambda w: N_("accounts it received from within %(window)s of this one",
                                  window=w), _count),
    "out_cp": Measure(lambda w: N_("accounts it paid within %(window)s of this one", window=w),
                      _count),
    "gs": Measure(lambda w: N_("the fewer of its payers and of its payees within %(window)s "
                               "(gather-scatter)", window=w), _count),
    "in_once": Measure(lambda w: N_("payments within %(window)s from accounts that pay it only "
                                    "once", window=w), _count),
    "out_once": Measure(lambda w: N_("payments within %(window)s to accounts it pays only once",
                                     window=w), _count),
    "in_cp_all": Measure(lambda w: N_("accounts it ever received from"), _count),
    "out_cp_all": Measure(lambda w: N_("accounts it ever paid"), _count),
    "fwd_ratio": Measure(lambda w: N_("share of this payment it sent on within %(window)s",
                                      window=w), _share),
    "fwd_delay_h": Measure(lambda w: N_("time until its next payment out (looked for up to "
                                        "%(window)s)", window=w), _duration, capped=True),
    "back_ratio": Measure(lambda w: N_("what it received in the %(window)s before, against "
                                       "this payment", window=w), _share),
    "back_delay_h": Measure(lambda w: N_("time since it last received money (looked for up to "
                                         "%(window)s)", window=w), _duration, capped=True),
    "amt_rel": Measure(lambda w: N_("this amount against its usual amount"), _times),
    "amt_dev": Measure(lambda w: N_("how far this amount is from its usual amount"),
                       _either_way, signed_by="amt_rel"),
    "pair_n": Measure(lambda w: N_("payments from the payer to the payee"), _count),
    "pair_first": Measure(lambda w: N_("the first payment from the payer to the payee"),
                          _yes_no),
    "pair_cv": Measure(lambda w: N_("variation of the amounts from the payer to the payee"),
                       _share, lambda: N_("only one payment")),
    "repeat_share": Measure(lambda w: N_("share of its payments this way with counterparties it "
                                         "deals with more than once"), _share),
    "cross_cur": Measure(lambda w: N_("paid in a currency other than its own"), _yes_no),
    "n_cur": Measure(lambda w: N_("currencies of its payments"), _count),
    "chan_share": Measure(lambda w: N_("share of its payments in this payment format"), _share),
    "cash_share": Measure(lambda w: N_("share of its payments in cash"), _share),
    "near_thr": Measure(lambda w: N_("cash deposits just under a reporting threshold within "
                                     "%(window)s", window=w), _count),
}

PAYMENT_MEASURES: dict[str, Measure] = {
    "log_amount": Measure(lambda w: N_("amount (in the set's currency)"), _amount),
    "amount_pct_cur": Measure(lambda w: N_("share of the payments in its currency that are "
                                           "smaller"), _share),
    "round_amount": Measure(lambda w: N_("a round amount (a multiple of 100)"), _yes_no),
    "self_transfer": Measure(lambda w: N_("a payment between an account and itself"), _yes_no),
    "cash": Measure(lambda w: N_("a cash payment"), _yes_no),
    "near_thr": Measure(lambda w: N_("a cash payment just under its currency's reporting "
                                     "threshold"), _yes_no),
    "channel": Measure(lambda w: N_("payment format"), _channel),
    "cycle_n": Measure(lambda w: N_("rings of payments through this payment"), _count),
    "cycle_len": Measure(lambda w: N_("payments in the shortest ring through it"), _count),
    "sg_mids": Measure(lambda w: N_("intermediaries between the payer and one destination "
                                    "(scatter-gather)"), _count),
}

_SIDES = {"src": N_("Payer"), "dst": N_("Payee")}
_WINDOWED = re.compile(r"(?P<measure>.+)_(?P<hours>\d+)h$")


def _parts(name: str, cfg: FeatureConfig) -> tuple[Message | None, Measure, int | None]:
    """The side, the measure and the window (hours) a feature's name is made of."""
    if name in PAYMENT_MEASURES:
        return None, PAYMENT_MEASURES[name], None
    side, _, rest = name.partition("_")
    if side in _SIDES:
        if rest in SIDE_MEASURES:  # measures whose window is a setting of their own
            return _SIDES[side], SIDE_MEASURES[rest], {
                "fwd_ratio": cfg.forward_hours, "back_ratio": cfg.forward_hours,
                "fwd_delay_h": cfg.max_delay_hours, "back_delay_h": cfg.max_delay_hours,
                "near_thr": cfg.structuring_days * 24}.get(rest)
        windowed = _WINDOWED.match(rest)
        if windowed and windowed["measure"] in SIDE_MEASURES:
            return _SIDES[side], SIDE_MEASURES[windowed["measure"]], int(windowed["hours"])
    raise KeyError(name)


def label(name: str, cfg: FeatureConfig = DEFAULT) -> Message:
    """A feature in words: "Payee: accounts it ever received from". A name this version
    does not know (a model from a later one) is given as it is."""
    try:
        side, measure, window = _parts(name, cfg)
    except KeyError:
        return Message(name)
    what = measure.label(None if window is None else _window(window))
    return what if side is None else N_("%(side)s: %(what)s", side=side, what=what)


def shown(name: str, value: float, cfg: FeatureConfig = DEFAULT,
          row: Mapping[str, float] | None = None) -> Shown:
    """A feature's value as a person reads it (a count, a share, a duration, yes or no).
    ``row``, the other features of the same payment where known, tells a distance from an
    account's usual amount as larger or smaller."""
    try:
        _, measure, window = _parts(name, cfg)
    except KeyError:
        return Number(value) if math.isfinite(value) else N_("none")
    if math.isnan(value):
        return measure.missing()
    if measure.capped and window is not None and value >= window:
        return N_("none within %(window)s", window=_window(window))
    if measure.signed_by and row is not None:
        signed = row.get(f"{name.partition('_')[0]}_{measure.signed_by}")
        if signed is not None and math.isfinite(signed):
            return _which_way(value, signed)
    return measure.show(value)


def reference(cfg: FeatureConfig = DEFAULT) -> str:
    """The table of every feature in words that ``docs/money-analytics.md`` holds (a test
    keeps the two the same): its name, its words in English, how its value is shown."""
    lines = ["| feature | in words | value shown as |", "| --- | --- | --- |"]
    for name in feature_names(cfg):
        _, measure, _ = _parts(name, cfg)
        shown_as = _KINDS[measure.show] + (", or “none within” the window" if measure.capped
                                           else "")
        lines.append(f"| `{name}` | {str.__str__(label(name, cfg))} | {shown_as} |")
    return "\n".join(lines) + "\n"
