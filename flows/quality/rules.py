"""Validation rules across values, and robust outlier statistics: data, not code.

Cross-value rules are declared in ``dbt_project/seeds/validation_rules.csv`` (so
analysts see them as the ``validation_rules`` seed): a left expression, an operator,
a right expression, a tolerance and a severity, DHIS2 style. Expressions are over
indicator codes of the same submission and period (``100 * XD.DV_HOC_NQ /
XD.DV_TRIEU_TAP``) and are parsed here by a tiny tokenizer and recursive-descent
parser: codes, numbers, ``+ - * /`` and parentheses, nothing else, never ``eval``.

Outliers use the modified z-score of Iglewicz and Hoaglin,
``0.6745 * (x - median) / MAD``, flagged beyond :data:`OUTLIER_Z`. Everything is
vectorised over pandas frames: a night of a million values has no per-row Python loop.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from flows.settings import VALIDATION_RULES_CSV

OPERATORS = ("<=", ">=", "==", "≈")
SEVERITIES = ("error", "warning")
TOLERANCE_TYPES = ("absolute", "percent")
RULE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# Modified z-score (Iglewicz & Hoaglin 1993): 0.6745 makes MAD consistent with the
# standard deviation of a normal distribution; |z| > 3.5 is their outlier threshold.
MAD_CONSISTENCY = 0.6745
OUTLIER_Z = 3.5
# When MAD is 0 (more than half the reference values are equal) the spread falls back
# to the mean absolute deviation, scaled by sqrt(pi/2) to estimate the same sigma.
MEAN_AD_CONSISTENCY = 1.253314
# A spread is never taken below a share of the median (RELATIVE_SPREAD_FLOOR, by value
# type), nor below one unit of a count or one point of a percent: values that barely vary
# would otherwise flag ordinary changes (a population growing 1 % a year, 0 or 1 member
# expelled, a quota met at 100 % by most wards and 110 % by a few). Money is lumpy (one
# road doubles a year's investment): there only about 3x the median or more stands out,
# such as a missing or extra zero.
RELATIVE_SPREAD_FLOOR = {"money_vnd": 0.5}
DEFAULT_RELATIVE_SPREAD_FLOOR = 0.05
MIN_SPREAD_BY_TYPE = {"count": 1.0, "boolean": 1.0, "percent": 1.0}
MIN_HISTORY = 4  # earlier periods of the unit needed before its history says anything
MIN_PEERS = 5  # other units of the same district needed besides the unit itself
HISTORY_WINDOW = 10  # only the latest earlier periods count: old history drifts

PERIOD_TYPES = (
    ("quarter", r"^\d{4}-Q[1-4]$"),
    ("half", r"^\d{4}-H[12]$"),
    ("mid_term", r"^\d{4}-\d{4}-MID$"),
    ("term", r"^\d{4}-\d{4}$"),
    ("year", r"^\d{4}$"),
)


class RuleSyntaxError(ValueError):
    """An expression of the rules file that cannot be parsed."""


# ------------------------------------------------------------------ expressions

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<code>[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+)"
    r"|(?P<op>[-+*/()]))"
)


def tokenize(text: str) -> list[tuple[str, str]]:
    """``[(kind, text), ...]`` with kind ``number``, ``code`` or ``op``; anything else fails."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise RuleSyntaxError(f"unexpected {text[position:]!r} in expression {text!r}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Expression:
    """A parsed arithmetic expression over indicator codes (an AST node).

    ``kind`` is ``number``, ``code``, ``neg`` or one of ``+ - * /``; ``args`` the
    operands of an operator node.
    """

    kind: str
    text: str = ""
    args: tuple[Expression, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """Indicator codes the expression reads, in order of first appearance."""
        if self.kind == "code":
            return (self.text,)
        seen: dict[str, None] = {}
        for arg in self.args:
            seen.update(dict.fromkeys(arg.codes))
        return tuple(seen)

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The expression on every row of ``frame`` (one column per code); NaN when unknown.

        A missing column or value gives NaN, and so does a division by zero, so that a
        rule with a missing operand is simply not checked on that row.
        """
        if self.kind == "number":
            return pd.Series(float(self.text), index=frame.index)
        if self.kind == "code":
            if self.text not in frame.columns:
                return pd.Series(np.nan, index=frame.index)
            return frame[self.text].astype(float)
        if self.kind == "neg":
            return -self.args[0].evaluate(frame)
        left, right = (arg.evaluate(frame) for arg in self.args)
        if self.kind == "+":
            return left + right
        if self.kind == "-":
            return left - right
        if self.kind == "*":
            return left * right
        return left / right.where(right != 0)

    def display(self) -> str:
        """The expression for a message: ``÷`` for division, since `` / `` separates the
        Vietnamese and English halves of every message."""
        return str(self).replace(" / ", " ÷ ")

    def __str__(self) -> str:
        if self.kind in ("number", "code"):
            return self.text
        if self.kind == "neg":
            return f"-{self.args[0]}"
        left, right = self.args
        return f"{_wrapped(left, self.kind, False)} {self.kind} {_wrapped(right, self.kind, True)}"


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _wrapped(node: Expression, parent: str, is_right: bool) -> str:
    """A child written with the parentheses its parent's precedence requires."""
    mine = _PRECEDENCE.get(node.kind, 3)
    theirs = _PRECEDENCE[parent]
    needs = mine < theirs or (is_right and mine == theirs and parent in "-/")
    return f"({node})" if needs else str(node)


class _Parser:
    """expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ;
    factor := number | code | '(' expr ')' | '-' factor."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def parse(self) -> Expression:
        if not self.tokens:
            raise RuleSyntaxError("empty expression")
        node = self._expr()
        if self.position != len(self.tokens):
            raise RuleSyntaxError(
                f"unexpected {self.tokens[self.position][1]!r} in expression {self.text!r}"
            )
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise RuleSyntaxError(f"expression {self.text!r} ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _expr(self) -> Expression:
        node = self._term()
        while self._peek() in ("+", "-"):
            operator = self._take()[1]
            node = Expression(operator, args=(node, self._term()))
        return node

    def _term(self) -> Expression:
        node = self._factor()
        while self._peek() in ("*", "/"):
            operator = self._take()[1]
            node = Expression(operator, args=(node, self._factor()))
        return node

    def _factor(self) -> Expression:
        kind, text = self._take()
        if kind == "number":
            return Expression("number", text)
        if kind == "code":
            return Expression("code", text)
        if text == "-":
            return Expression("neg", args=(self._factor(),))
        if text == "(":
            node = self._expr()
            if self._take()[1] != ")":
                raise RuleSyntaxError(f"missing ')' in expression {self.text!r}")
            return node
        raise RuleSyntaxError(f"unexpected {text!r} in expression {self.text!r}")


def parse_expression(text: str) -> Expression:
    """Parse ``text`` (codes, numbers, ``+ - * /``, parentheses) into an :class:`Expression`."""
    return _Parser(text).parse()


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class ValidationRule:
    """One row of ``validation_rules.csv``: ``left operator right`` within a tolerance.

    ``tolerance_type`` ``absolute`` is in the unit of the values (percentage points for
    rates); ``percent`` is relative, in percent of the larger side. ``severity`` ``error``
    rejects the value(s) on the left side; ``warning`` loads them marked ``warning``.
    """

    rule_id: str
    left: Expression
    operator: str
    right: Expression
    tolerance: float
    tolerance_type: str
    severity: str
    description_vi: str
    description_en: str

    @property
    def column(self) -> str:
        """Name of the computed column the expectation checks."""
        return f"check_{self.rule_id}"

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """Allowed range of the computed column (left - right, or its relative form)."""
        if self.operator == "<=":
            return None, self.tolerance
        if self.operator == ">=":
            return -self.tolerance, None
        return -self.tolerance, self.tolerance

    def compute(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
        """(left, right, checked difference) on every row; NaN where an operand is missing."""
        left = self.left.evaluate(frame)
        right = self.right.evaluate(frame)
        difference = left - right
        if self.tolerance_type == "percent":
            # Relative to the larger side, so a zero on one side gives 100 %, never inf.
            scale = np.maximum(left.abs(), right.abs())
            difference = (100 * difference / scale.where(scale != 0)).where(scale != 0, 0.0)
            difference = difference.where(left.notna() & right.notna())
        return left, right, difference

    def describe(self, for_message: bool = False) -> str:
        """``left op right (± tolerance)`` as written in the rules file (or for a message)."""
        tolerance = ""
        if self.tolerance:
            unit = "%" if self.tolerance_type == "percent" else ""
            tolerance = f" (± {self.tolerance:g}{unit})"
        if for_message:
            return f"{self.left.display()} {self.operator} {self.right.display()}{tolerance}"
        return f"{self.left} {self.operator} {self.right}{tolerance}"


def rule_from_row(row: dict[str, str]) -> ValidationRule:
    """A rule from one CSV row, checked for a valid id, operator, severity and syntax."""
    rule_id = row["rule_id"].strip()
    if not RULE_ID_PATTERN.match(rule_id):
        raise RuleSyntaxError(f"rule_id {rule_id!r} must be lower snake case")
    operator = row["operator"].strip()
    if operator not in OPERATORS:
        raise RuleSyntaxError(f"rule {rule_id}: operator {operator!r} not in {OPERATORS}")
    severity = row["severity"].strip()
    if severity not in SEVERITIES:
        raise RuleSyntaxError(f"rule {rule_id}: severity {severity!r} not in {SEVERITIES}")
    tolerance_type = row["tolerance_type"].strip() or "absolute"
    if tolerance_type not in TOLERANCE_TYPES:
        raise RuleSyntaxError(f"rule {rule_id}: tolerance_type {tolerance_type!r} unknown")
    return ValidationRule(
        rule_id=rule_id,
        left=parse_expression(row["left_expression"]),
        operator=operator,
        right=parse_expression(row["right_expression"]),
        tolerance=float(row["tolerance"] or 0),
        tolerance_type=tolerance_type,
        severity=severity,
        description_vi=row["description_vi"].strip(),
        description_en=row["description_en"].strip(),
    )


def read_rules(path: Path | str = VALIDATION_RULES_CSV) -> list[ValidationRule]:
    """Every rule of the rules file, in file order; ids must be unique."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        rules = [rule_from_row(row) for row in csv.DictReader(handle)]
    ids = [rule.rule_id for rule in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleSyntaxError(f"duplicate rule_id in {path}: {duplicates}")
    return rules


# ------------------------------------------------------------------ outliers


def period_type(period_codes: pd.Series) -> pd.Series:
    """``year``, ``quarter``, ``half``, ``mid_term`` or ``term`` for each period code."""
    unique = pd.Series(period_codes.dropna().astype(str).unique())
    kinds = pd.Series(None, index=unique.index, dtype=object)
    for name, pattern in PERIOD_TYPES:
        kinds = kinds.where(kinds.notna() | ~unique.str.match(pattern), name)
    # Few distinct periods in a night: classify those, then map (1M rows stay cheap).
    return period_codes.map(dict(zip(unique, kinds, strict=True)))


def modified_z(
    values: pd.Series,
    median: pd.Series | float,
    mad: pd.Series | float,
    mean_ad: pd.Series | float,
    floor: pd.Series | float = 0.0,
):
    """Modified z-score and the spread (sigma) it used, per row.

    ``0.6745 * (x - median) / MAD``, i.e. ``(x - median) / sigma`` with sigma =
    MAD / 0.6745; when MAD is 0, sigma = 1.253314 * meanAD (Iglewicz-Hoaglin's
    fallback, the same sigma estimate). sigma is raised to ``floor`` when below it; NaN
    (no verdict) when it is still 0: all reference values equal and no floor.
    """
    mad, mean_ad, median = (_series(x, values.index) for x in (mad, mean_ad, median))
    sigma = (mad / MAD_CONSISTENCY).where(mad > 0, MEAN_AD_CONSISTENCY * mean_ad)
    sigma = np.maximum(sigma, _series(floor, values.index))
    sigma = sigma.where(sigma > 0)
    return (values - median) / sigma, sigma


def _series(value: pd.Series | float, index: pd.Index) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(float(value), index=index)


def spread_floor(median: pd.Series, value_type: pd.Series) -> pd.Series:
    """The least spread to assume: a share of the median, or one unit of a count."""
    by_type = value_type.map(MIN_SPREAD_BY_TYPE).fillna(0.0).astype(float)
    share = value_type.map(RELATIVE_SPREAD_FLOOR).fillna(DEFAULT_RELATIVE_SPREAD_FLOOR)
    return np.maximum(share.astype(float) * median.abs(), by_type)


def _spread(reference: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """median, MAD, mean absolute deviation and count of ``ref_value`` per key group."""
    reference = reference.dropna(subset=["ref_value"])
    grouped = reference.groupby(keys, sort=False)["ref_value"]
    stats = grouped.agg(median="median", n="count").reset_index()
    with_median = reference.merge(stats[[*keys, "median"]], on=keys)
    with_median["deviation"] = (with_median["ref_value"] - with_median["median"]).abs()
    deviations = (
        with_median.groupby(keys, sort=False)["deviation"]
        .agg(mad="median", mean_ad="mean")
        .reset_index()
    )
    return stats.merge(deviations, on=keys)


def _scored(values: pd.DataFrame, stats: pd.DataFrame, keys: list[str], prefix: str):
    merged = values.merge(stats, on=keys, how="left")
    floor = spread_floor(merged["median"], merged["value_type"])
    z, sigma = modified_z(
        merged["value"], merged["median"], merged["mad"], merged["mean_ad"], floor
    )
    return pd.DataFrame(
        {
            "row_id": merged["row_id"],
            f"{prefix}_z": z,
            f"{prefix}_median": merged["median"],
            f"{prefix}_low": merged["median"] - OUTLIER_Z * sigma,
            f"{prefix}_high": merged["median"] + OUTLIER_Z * sigma,
            f"{prefix}_n": merged["n"],
        }
    )


def history_scores(values: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each value against the same unit's earlier periods of the same type.

    ``values``: row_id, unit_key, indicator_code, period_code, value, value_type. ``reference``:
    one current value per unit_key, indicator_code, period_code (column ``value``).
    Returns row_id, history_z/median/low/high/n; z is NaN with fewer than
    :data:`MIN_HISTORY` earlier periods. At most :data:`HISTORY_WINDOW` latest
    earlier periods count.
    """
    keys = ["unit_key", "indicator_code", "period_type"]
    values = values.assign(period_type=period_type(values["period_code"]))
    targets = values[[*keys, "period_code"]].drop_duplicates()
    ref = reference.assign(period_type=period_type(reference["period_code"])).rename(
        columns={"period_code": "ref_period", "value": "ref_value"}
    )[[*keys, "ref_period", "ref_value"]]
    pairs = targets.merge(ref, on=keys)
    pairs = pairs[pairs["ref_period"] < pairs["period_code"]]
    pairs = pairs.sort_values([*keys, "period_code", "ref_period"], ascending=False)
    pairs = pairs[pairs.groupby([*keys, "period_code"]).cumcount() < HISTORY_WINDOW]
    stats = _spread(pairs, [*keys, "period_code"])
    stats = stats[stats["n"] >= MIN_HISTORY]
    return _scored(values, stats, [*keys, "period_code"], "history")


def peer_scores(values: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each value against the units of the same peer group for the same period.

    ``peer_group`` (the district of a pre-2025 ward, the province of a 2025 one) must
    be a column of both frames. The unit's own current value is part of the group;
    z is NaN unless at least :data:`MIN_PEERS` other units reported.
    """
    keys = ["peer_group", "indicator_code", "period_code"]
    ref = reference.dropna(subset=["peer_group"]).rename(columns={"value": "ref_value"})
    stats = _spread(ref[[*keys, "ref_value"]], keys)
    stats = stats[stats["n"] >= MIN_PEERS + 1]
    return _scored(values, stats, keys, "peer")
