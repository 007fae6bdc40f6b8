"""How a person reads what the detectors and the model report: the names of detectors, of
the risk ranking's behaviours and of the model's features, and a feature's value.

The reports keep their codes (``fan_out``, ``src_out_cp_168h``: the API, exports, the
audit); the pages show these labels, in the reader's language, beside them.
"""

from __future__ import annotations

import math
import re

from tocsin.i18n import N_, Message, N_plural, format_number, format_percent
from tocsin.money.features.base import CHANNELS, TXN_FEATURES

#: The risk ranking's own behaviours (:func:`tocsin.money.score.feature_contributions`).
BEHAVIOURS: dict[str, Message] = {
    "pass-through": N_("Money passed through"),
    "round amounts": N_("Round amounts"),
    "night-time": N_("Payments at night"),
    "bursts": N_("Bursts of payments"),
    "party risk": N_("Risk of the holder"),
}

_TXN: dict[str, Message] = {
    "log_amount": N_("amount (logarithm)"),
    "amount_pct_cur": N_("rank of the amount among the payments in its currency"),
    "round_amount": N_("round amount"),
    "self_transfer": N_("payment to the same account"),
    "cash": N_("cash payment"),
    "near_thr": N_("cash payment just under the reporting threshold"),
    "channel": N_("payment format"),
    "cycle_n": N_("cycles through this payment"),
    "cycle_len": N_("payments in the shortest cycle through it"),
    "sg_mids": N_("most intermediaries between one payer and one destination"),
}

_SIDE: dict[str, Message] = {
    "in_cp_all": N_("distinct payers over the whole set"),
    "out_cp_all": N_("distinct payees over the whole set"),
    "fwd_ratio": N_("share of this payment sent on within two days"),
    "fwd_delay_h": N_("hours until its next payment out"),
    "back_ratio": N_("share of this payment received within two days before"),
    "back_delay_h": N_("hours since its last payment in"),
    "amt_rel": N_("amount against the account's usual amount (logarithm)"),
    "amt_dev": N_("how far the amount is from the account's usual amount (logarithm)"),
    "pair_n": N_("payments between the two accounts"),
    "pair_first": N_("first payment between the two accounts"),
    "pair_cv": N_("variation of the amounts between the two accounts"),
    "repeat_share": N_("share of its payments with counterparties met more than once"),
    "cross_cur": N_("payment in another currency than the account's own"),
    "n_cur": N_("currencies of its payments"),
    "chan_share": N_("share of its payments in this payment format"),
    "cash_share": N_("share of its payments in cash"),
    "near_thr": N_("cash deposits just under the reporting threshold within ten days"),
}

_WINDOWED = re.compile(r"(in_n|out_n|in_cp|out_cp|gs|in_once|out_once)_(\d+)h")

_YES_NO = {"round_amount", "self_transfer", "cash", "near_thr", "pair_first", "cross_cur"}
_SHARES = {"amount_pct_cur", "fwd_ratio", "back_ratio", "repeat_share", "chan_share",
           "cash_share"}
_HOURS = {"fwd_delay_h", "back_delay_h"}
_DECIMALS = {"log_amount", "amt_rel", "amt_dev", "pair_cv"}


def _window(hours: int) -> Message:
    if hours % 24 == 0:
        days = hours // 24
        return N_plural("%(count)s day", "%(count)s days", days, count=days)
    return N_plural("%(count)s hour", "%(count)s hours", hours, count=hours)


def _windowed(kind: str, hours: int) -> Message:
    window = _window(hours)
    if kind == "in_n":
        return N_("payments in within %(window)s of the payment", window=window)
    if kind == "out_n":
        return N_("payments out within %(window)s of the payment", window=window)
    if kind == "in_cp":
        return N_("distinct payers within %(window)s of the payment", window=window)
    if kind == "out_cp":
        return N_("distinct payees within %(window)s of the payment", window=window)
    if kind == "gs":
        return N_("the fewer of distinct payers and payees within %(window)s of the payment",
                  window=window)
    if kind == "in_once":
        return N_("payments from one-off payers within %(window)s of the payment", window=window)
    return N_("payments to one-off payees within %(window)s of the payment", window=window)


def _split(feature: str) -> tuple[str | None, str]:
    """``("src", "out_cp_168h")`` for ``src_out_cp_168h``; ``(None, name)`` for a feature
    of the payment itself."""
    if feature in TXN_FEATURES:
        return None, feature
    side, _, rest = feature.partition("_")
    if side in ("src", "dst") and rest:
        return side, rest
    return None, feature


def feature_label(feature: str) -> str:
    """The model's feature as a person reads it: ``payer: distinct payees within 7 days``
    for ``src_out_cp_168h``; an unknown name as it is, its underscores as spaces."""
    side, rest = _split(feature)
    what: Message | None
    if side is None:
        what = _TXN.get(rest)
    else:
        found = _WINDOWED.fullmatch(rest)
        what = _windowed(found[1], int(found[2])) if found else _SIDE.get(rest)
    if what is None:
        return feature.replace("_", " ")
    if side == "src":
        return str(N_("payer: %(feature)s", feature=what))
    if side == "dst":
        return str(N_("payee: %(feature)s", feature=what))
    return str(N_("payment: %(feature)s", feature=what))


def feature_value(feature: str, value: float | None) -> str:
    """A feature's value as a person reads it: yes or no, a share in per cent, hours, a
    count, or a number with two decimals, in the reader's language."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return str(N_("not known"))
    side, rest = _split(feature)
    if rest in _HOURS:
        return str(N_("%(hours)s hours", hours=format_number(value, 1)))
    if rest in _YES_NO and not (side is not None and rest == "near_thr"):  # a side's: a count
        return str(N_("yes") if value >= 0.5 else N_("no"))
    if rest in _SHARES:
        return format_percent(value)
    if rest == "channel":
        index = int(value)
        return CHANNELS[index] if 0 <= index < len(CHANNELS) else format_number(value, 0)
    if rest in _DECIMALS:
        return format_number(value, 2)
    return format_number(value, 0) if float(value).is_integer() else format_number(value, 2)


def contribution_label(name: str) -> str:
    """A risk contribution's name: the detector's title, or the behaviour's label."""
    from tocsin.money.detect import REGISTRY

    if name in REGISTRY:
        return str(REGISTRY[name].title)
    behaviour = BEHAVIOURS.get(name)
    return str(behaviour) if behaviour is not None else name.replace("_", " ")
