"""The rulebook: every quality rule declared once, and every rule the code can raise declared.

:data:`DECLARED_IN` lists every rule and the one file that declares it: the rulebook
(``flows/quality/rulebook.py``) or, for the rules across values, a row of
``dbt_project/seeds/validation_rules.csv`` (which the rulebook reads, never copies). A new
rule goes into one of the two and into this table; a rule raised by the code (found in the
source with ``ast``, and in the committed suites) but declared nowhere fails here.
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from flows.quality import feedback, rulebook
from flows.quality.outliers import OUTLIER_Z
from flows.quality.suites import GE_SEVERITY
from flows.reading.submission import Issue, LandedFile, Submission
from flows.settings import EXPECTATIONS_DIR, VALIDATION_RULES_CSV

ROOT = Path(__file__).resolve().parent.parent
RULEBOOK = "flows/quality/rulebook.py"
RULES_CSV = "dbt_project/seeds/validation_rules.csv"

# Every quality rule, and where it is declared.
DECLARED_IN = {
    # raised while parsing (flows/reading)
    "unreadable_file": RULEBOOK,
    "unit_unknown": RULEBOOK,
    "period_unknown": RULEBOOK,
    "cell_error": RULEBOOK,
    "formula_without_value": RULEBOOK,
    "unparseable": RULEBOOK,
    "review_row": RULEBOOK,
    "clerk_computed_mismatch": RULEBOOK,
    "per_mille_in_percent_row": RULEBOOK,
    "internal_error": RULEBOOK,
    "reader_limit": RULEBOOK,
    # suite submission_identity
    "unit_known": RULEBOOK,
    "period_known": RULEBOOK,
    "period_valid": RULEBOOK,  # and observation_values, on every value's period
    # suite observation_values
    "indicator_known": RULEBOOK,
    "qualifier_known": RULEBOOK,
    "whole_number": RULEBOOK,
    "in_range": RULEBOOK,
    # suite value_outliers
    "outlier_history": RULEBOOK,
    "outlier_peers": RULEBOOK,
    # the gate, after the suites
    "no_values": RULEBOOK,
    "report_date_implausible": RULEBOOK,
    # suite validation_rules: rows of the rules file
    "attendees_le_summoned": RULES_CSV,
    "cells_checked_le_cells": RULES_CSV,
    "insured_le_population": RULES_CSV,
    "poor_le_households": RULES_CSV,
    "near_poor_le_households": RULES_CSV,
    "cultural_le_households": RULES_CSV,
    "resolved_le_received": RULES_CSV,
    "poor_and_near_poor_le_households": RULES_CSV,
    "rate_attendance": RULES_CSV,
    "rate_cells_checked": RULES_CSV,
    "rate_insurance": RULES_CSV,
    "rate_poverty": RULES_CSV,
    "rate_near_poverty": RULES_CSV,
    "rate_cultural": RULES_CSV,
    "rate_petitions": RULES_CSV,
    "investment_parts": RULES_CSV,
}


def _csv_ids(path: Path = VALIDATION_RULES_CSV) -> list[str]:
    """The rule ids of the rules file as written, duplicates kept."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row["rule_id"].strip() for row in csv.DictReader(handle)]


# ------------------------------------------------------------------ declared once


def test_every_rule_is_declared_where_the_table_says():
    declared = {rule_id: RULEBOOK for rule_id in rulebook.RULES}
    declared |= {rule_id: RULES_CSV for rule_id in _csv_ids()}
    assert declared == DECLARED_IN
    assert set(rulebook.all_rules()) == set(DECLARED_IN)
    assert ROOT / RULES_CSV == VALIDATION_RULES_CSV


def test_no_rule_is_declared_twice(tmp_path):
    in_python = [rule.rule_id for rule in rulebook.RULES_DECLARED]
    in_csv = _csv_ids()
    assert len(in_python) == len(set(in_python))
    assert len(in_csv) == len(set(in_csv))
    assert set(in_python).isdisjoint(in_csv)
    # The rulebook refuses a row of the rules file that reuses one of its ids.
    text = VALIDATION_RULES_CSV.read_text(encoding="utf-8")
    clash = tmp_path / "validation_rules.csv"
    clash.write_text(
        text + "in_range,VH.HO_NGHEO,<=,VH.TONG_HO,0,absolute,error,x,x\n", encoding="utf-8"
    )
    with pytest.raises(rulebook.RulebookError, match="in_range"):
        rulebook.validation_rules(clash)
    with pytest.raises(rulebook.RulebookError, match="in_range"):
        rulebook.all_rules(clash)


def test_every_rule_is_described_in_the_rulebook_s_vocabulary():
    for rule in rulebook.all_rules().values():
        assert rule.severity in rulebook.SEVERITIES, rule.rule_id
        assert rule.scope in rulebook.SCOPES, rule.rule_id
        assert {rule.stage, *rule.also_checked_by} <= set(rulebook.STAGES), rule.rule_id
        assert rule.description_vi and rule.description_en, rule.rule_id
        assert "\n" not in rule.description_vi + rule.description_en, rule.rule_id
        if rule.remedy is not None:
            assert len(rule.remedy) == 2 and all(rule.remedy), rule.rule_id
    for rule_id in ("outlier_history", "outlier_peers"):
        rule = rulebook.RULES[rule_id]
        assert f"±{OUTLIER_Z:g}" in rule.description_en
        assert f"±{OUTLIER_Z:g}".replace(".", ",") in rule.description_vi


def test_the_declared_severity_is_what_the_gate_does_on_a_failure():
    """The gate rejects a submission on an identity failure and a value on a value failure,
    and only marks outliers: the severities declared for those suites must say the same."""
    by_stage = {
        stage: {rule.severity for rule in rulebook.RULES.values() if rule.stage == stage}
        for stage in rulebook.STAGES
    }
    assert by_stage["submission_identity"] == {rulebook.ERROR}
    assert by_stage["observation_values"] == {rulebook.ERROR}
    assert rulebook.RULES["no_values"].severity == rulebook.ERROR
    assert by_stage["value_outliers"] == {rulebook.WARNING}


def test_the_newcomer_finds_the_poverty_rate_rule():
    """'Where is the rule that a poverty rate must match its households?'"""
    doc = rulebook.__doc__ or ""
    assert "validation_rules.csv" in doc and "rate_poverty" in doc and "validation_rules" in doc
    rule = rulebook.all_rules()["rate_poverty"]
    assert (rule.stage, DECLARED_IN["rate_poverty"]) == ("validation_rules", RULES_CSV)
    suite = json.loads((EXPECTATIONS_DIR / "validation_rules.json").read_text(encoding="utf-8"))
    assert "rate_poverty" in {e["meta"]["rule"] for e in suite["expectations"]}


# ------------------------------------------------------------------ raised anywhere


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _ids_in_source(tree: ast.Module) -> list[tuple[str, int]]:
    """(rule id, line) of every rule id written as a literal where a rule is raised.

    - the rule of ``Issue(...)`` and ``CellIssue(...)`` (second argument, or ``rule=``);
    - ``{"rule": ...}`` (the ``meta`` of an expectation, or of a failure);
    - a parse error, which becomes the rule of its cell's issue: ``ParsedValue(error=...)``
      and the ids returned by a function named ``*_rule`` (``_cell_error_rule``).
    """
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ("Issue", "CellIssue"):
            rule = node.args[1] if len(node.args) > 1 else None
            rule = next((k.value for k in node.keywords if k.arg == "rule"), rule)
            if _text(rule):
                found.append((_text(rule), node.lineno))
        elif isinstance(node, ast.Call) and _name(node.func) == "ParsedValue":
            for keyword in node.keywords:
                if keyword.arg == "error" and _text(keyword.value):
                    found.append((_text(keyword.value), node.lineno))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _text(key) == "rule" and _text(value):
                    found.append((_text(value), node.lineno))
        elif isinstance(node, ast.FunctionDef) and node.name.endswith("_rule"):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and _text(inner.value):
                    found.append((_text(inner.value), inner.lineno))
    return found


def _raised() -> dict[str, list[str]]:
    """Every rule id raised by the code, with where: ``path:line`` or a suite's file."""
    where: dict[str, list[str]] = {}
    for path in sorted((ROOT / "flows").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for rule_id, line in _ids_in_source(tree):
            where.setdefault(rule_id, []).append(f"{path.relative_to(ROOT)}:{line}")
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            where.setdefault(expectation["meta"]["rule"], []).append(path.name)
    return where


def test_every_rule_the_code_can_raise_is_declared():
    raised = _raised()
    # The scan still sees each kind of place a rule is raised from.
    assert {
        "unreadable_file",  # Issue(...) in the reader
        "no_values",  # Issue(...) in the gate
        "period_unknown",  # CellIssue(...)
        "per_mille_in_percent_row",  # CellIssue(...)
        "unparseable",  # ParsedValue(error=...)
        "cell_error",  # _cell_error_rule
        "unit_known",  # an expectation's meta
        "outlier_peers",  # a committed suite
        "rate_poverty",  # a committed suite, from the rules file
    } <= set(raised)
    undeclared = {rule_id: raised[rule_id] for rule_id in set(raised) - set(DECLARED_IN)}
    assert undeclared == {}


def test_every_declared_rule_is_raised_somewhere():
    assert set(DECLARED_IN) - set(_raised()) == set()


def test_the_suites_take_severity_and_notes_from_the_rulebook():
    rules = rulebook.all_rules()
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for expectation in suite["expectations"]:
            rule = rules[expectation["meta"]["rule"]]
            assert suite["name"] in (rule.stage, *rule.also_checked_by), rule.rule_id
            assert expectation["severity"] == GE_SEVERITY[rule.severity], rule.rule_id
            assert expectation["notes"] == [rule.description_vi, rule.description_en]


def test_no_issue_is_raised_with_a_severity_of_its_own():
    """Every Issue the reader or the gate raises takes its severity from the rulebook (or,
    for a rule of the rules file, from its row): never a literal 'error' or 'warning'."""
    literal = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "flows").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and _name(node.func) in ("Issue", "CellIssue")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert literal == []


# ------------------------------------------------------------------ remedies

_REMEDY = re.compile(
    r"<p><strong>Cần làm:</strong> (.*?)</p>\n"
    r'<p class="en"><strong>What to do:</strong> (.*?)</p>'
)


def _remedy_shown(rule_id: str) -> tuple[str, str]:
    landed = LandedFile(Path("x.xlsx"), "x.xlsx", "0" * 64, 1, datetime(2024, 1, 1))
    submission = Submission(f"{rule_id}:0", landed, "Sheet1")
    submission.reject(Issue("error", rule_id, "lý do", "reason"))
    (shown,) = _REMEDY.findall(feedback.render_feedback(submission, catalog=None))
    return shown


def test_every_remedy_the_feedback_pages_show_comes_from_the_rulebook():
    for name in ("REMEDIES", "PERIOD_REMEDY", "DEFAULT_REMEDY"):
        assert not hasattr(feedback, name), name
    known = {rule.remedy for rule in rulebook.RULES_DECLARED if rule.remedy}
    known.add(rulebook.DEFAULT_REMEDY)
    escaped = {tuple(html.escape(text, quote=True) for text in remedy) for remedy in known}
    for rule_id in [*DECLARED_IN, "not_a_rule"]:
        shown = _remedy_shown(rule_id)
        expected = tuple(html.escape(t, quote=True) for t in rulebook.remedy(rule_id))
        assert shown == expected, rule_id
        assert shown in escaped, rule_id
    # The rules that reject a whole submission or file each have a remedy of their own.
    for rule in rulebook.RULES_DECLARED:
        if rule.scope in ("file", "submission") and rule.severity == rulebook.ERROR:
            assert rule.remedy is not None, rule.rule_id


# ------------------------------------------------------------------ imports


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "flows"}


def test_the_rulebook_imports_nothing_from_the_reader():
    """The reader will take its rules' severities from the rulebook: no cycle, ever."""
    seen, todo = set(), ["flows.quality.rulebook"]
    while todo:
        name = todo.pop()
        path = ROOT / (name.replace(".", "/") + ".py")
        if name in seen or not path.exists():
            continue
        seen.add(name)
        todo.extend(_project_imports(path))
    assert "flows.quality.cross_value" in seen
    assert not any(name.startswith("flows.reading") for name in seen), sorted(seen)
