"""Validation rules across values, read from ``validation_rules.csv``: data, not code.

Cross-value rules are declared in ``dbt_project/seeds/validation_rules.csv`` (so
analysts see them as the ``validation_rules`` seed): a left expression, an operator,
a right expression, a tolerance and a severity, DHIS2 style. Expressions are over
indicator codes of the same submission and period (``100 * XD.DV_HOC_NQ /
XD.DV_TRIEU_TAP``) and are parsed here by a tiny tokenizer and recursive-descent
parser: codes, numbers, ``+ - * /`` and parentheses, nothing else, never ``eval``.
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
    rates); ``percent`` is relative, in percent of the larger side. ``severity``
    ``warning`` loads every value the rule names, on both sides, marked ``warning``: a
    rate that contradicts its parts, or a part above its whole, cannot say which side is
    wrong (DHIS2 never rejects on a validation rule either). ``error`` rejects the left
    side's values, for a rule whose left side alone can be wrong; no rule shipped is one.
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
    def marked_codes(self) -> tuple[str, ...]:
        """The indicators whose values a failure marks: both sides' for a ``warning``, the
        left side's (which it rejects) for an ``error``."""
        if self.severity == "error":
            return self.left.codes
        return tuple(dict.fromkeys(self.left.codes + self.right.codes))

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
