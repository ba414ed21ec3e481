"""Numbers written the Vietnamese way, as in printed reports: decimal comma, dot for
thousands (``1.234``), ``91,5%`` and money in tỷ/triệu đồng (``1,1 tỷ đồng``); the data,
the charts and the page all write numbers through these functions."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

MISSING = "–"
MINUS = "−"  # the typographic minus sign, as in printed reports


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | None, decimals: int = 0, *, trim: bool = False) -> str:
    """``1234.56`` → ``1.234,6``: dot for thousands, comma for decimals, half rounded up.

    ``trim`` drops a decimal part that is all zeros (``100,0`` → ``100``).
    """
    if _is_missing(value):
        return MISSING
    # Through str() so that 91.45 rounds as the 91.45 people read, not its binary neighbour.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if trim and "," in text:
        text = text.rstrip("0").rstrip(",")
    return (MINUS if rounded < 0 else "") + text


def format_percent(value: float | None, decimals: int = 1, *, trim: bool = False) -> str:
    """``91.46`` → ``91,5%``; ``2`` → ``2,0%`` (columns of rates line up), or ``2%`` with trim."""
    if _is_missing(value):
        return MISSING
    return format_number(value, decimals, trim=trim) + "%"


def format_money_vnd(value: float | None, *, suffix: str = " đồng") -> str:
    """``1_117_213_000`` → ``1,1 tỷ đồng``; ``350_000_000`` → ``350 triệu đồng``.

    Tỷ (10⁹) and triệu (10⁶) with one decimal at most; below a million, whole đồng.
    """
    if _is_missing(value):
        return MISSING
    for scale, word in ((1e9, " tỷ"), (1e6, " triệu")):
        # Decide the word after rounding, so 999,96 triệu reads 1 tỷ, not 1.000 triệu.
        rounded = Decimal(str(value / scale)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if abs(rounded) >= 1:
            return format_number(value / scale, 1, trim=True) + word + suffix
    return format_number(value, 0) + suffix


def format_value(value: float | None, value_type: str | None) -> str:
    """A value as the catalog's type reads: percent, money, or a count (decimals only if any)."""
    if _is_missing(value):
        return MISSING
    if value_type == "percent":
        return format_percent(value)
    if value_type == "money_vnd":
        return format_money_vnd(value)
    return format_number(value, 0 if float(value).is_integer() else 1, trim=True)


def format_change(change: float | None, value_type: str | None) -> str:
    """A signed change: ``+6,1 điểm %`` for rates (points, not percent), ``+12``, ``−1,1 tỷ``."""
    if _is_missing(change):
        return MISSING
    sign = "+" if change > 0 else ""
    if value_type == "percent":
        text = format_number(change, 1, trim=True)
        return (sign if text not in ("0",) else "") + text + " điểm %"
    text = format_value(change, value_type)
    return (sign if not text.startswith("0") else "") + text


def format_signed_percent(value: float | None) -> str:
    """``7.19`` → ``+7,2%``."""
    if _is_missing(value):
        return MISSING
    text = format_percent(value)
    return ("+" if value > 0 and not text.startswith("0") else "") + text


def format_target(
    low: float | None,
    high: float | None,
    direction: str | None,
    value_type: str | None,
    *,
    per_year: bool = False,
) -> str:
    """A target from its bounds: ``≥ 90,0%``, ``≤ 3,0%``, ``5–7 /năm``, ``10``.

    ``at_least`` is met from the lower bound, ``at_most`` under the upper one; a range is
    written whole (it is met from its lower bound, or under its upper for lower-is-better).
    """
    has_low, has_high = not _is_missing(low), not _is_missing(high)
    if not (has_low or has_high):
        return MISSING
    either = low if has_low else high
    if has_low and has_high and low != high and direction not in ("at_least", "at_most"):
        text = f"{format_value(low, value_type)}–{format_value(high, value_type)}"
    elif direction == "at_most" or (direction is None and not has_low):
        text = "≤ " + format_value(high if has_high else low, value_type)
    elif direction == "at_least" or (direction is None and not has_high):
        text = "≥ " + format_value(either, value_type)
    else:  # exact, or equal bounds
        text = format_value(either, value_type)
    return text + (" /năm" if per_year else "")


def _axis_label(value: float, value_type: str | None) -> str:
    if value_type == "percent":
        return format_percent(value, trim=True)
    if value_type == "money_vnd":
        return format_money_vnd(value, suffix="") if value else "0"
    return format_number(value, 0 if float(value).is_integer() else 1, trim=True)


def _term_label(term_code: str) -> str:
    return term_code.replace("-", "–")
