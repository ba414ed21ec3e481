"""The data-quality system: rule parser, robust statistics, versioned suites, and every
rule kind with a passing and a failing case on real submissions through the real flow.

The landing folder is the demo's, written by the demo's own builder from a truth with a
few deliberate faults (one ward per rule kind), plus one cell typed over with openpyxl
and one sheet whose period cannot be read.
"""

from __future__ import annotations

import json
import math
import random

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from flows.domain.catalog import load_catalog
from flows.quality import outliers
from flows.quality.cross_value import (
    RuleSyntaxError,
    ValidationRule,
    parse_expression,
    read_rules,
    rule_from_row,
    tokenize,
)
from flows.quality.outliers import history_scores, modified_z, peer_scores
from flows.settings import EXPECTATIONS_DIR
from tools import demo

# ------------------------------------------------------------------ expression parser


def test_tokenizer_reads_codes_numbers_and_operators():
    assert tokenize("100 * XD.DV_HOC_NQ / (XD.DV_TRIEU_TAP-1.5)") == [
        ("number", "100"),
        ("op", "*"),
        ("code", "XD.DV_HOC_NQ"),
        ("op", "/"),
        ("op", "("),
        ("code", "XD.DV_TRIEU_TAP"),
        ("op", "-"),
        ("number", "1.5"),
        ("op", ")"),
    ]


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "XD.A ** 2", "1 +", "(1 + 2", "1 2", "", "xd.lower", "A.B; C.D"],
)
def test_parser_refuses_anything_but_arithmetic_on_codes(text):
    with pytest.raises(RuleSyntaxError):
        parse_expression(text)


def test_parser_precedence_parentheses_and_unary_minus():
    frame = pd.DataFrame({"A.X": [2.0, 4.0], "B.Y": [3.0, 0.0]})
    assert parse_expression("A.X + B.Y * 2").evaluate(frame).tolist() == [8.0, 4.0]
    assert parse_expression("(A.X + B.Y) * 2").evaluate(frame).tolist() == [10.0, 8.0]
    assert parse_expression("-A.X - -1").evaluate(frame).tolist() == [-1.0, -3.0]
    assert parse_expression("10 - 4 - 3").evaluate(frame).tolist() == [3.0, 3.0]
    # division by zero and missing codes give NaN: the rule is not checked on that row
    ratio = parse_expression("100 * A.X / B.Y").evaluate(frame)
    assert ratio.iloc[0] == pytest.approx(66.6667, rel=1e-4) and math.isnan(ratio.iloc[1])
    assert parse_expression("C.Z + 1").evaluate(frame).isna().all()


def test_expression_codes_and_text_round_trip():
    expression = parse_expression("100*(KT.A+KT.B)/KT.C - KT.A")
    assert expression.codes == ("KT.A", "KT.B", "KT.C")
    assert str(expression) == "100 * (KT.A + KT.B) / KT.C - KT.A"
    assert str(parse_expression(str(expression))) == str(expression)


def test_rules_file_parses_and_covers_every_catalog_ratio():
    catalog_rules = read_rules()
    pairs = {(r.operator, str(r.left), str(r.right)) for r in catalog_rules}
    ratios = [i for i in load_catalog() if i.numerator_code and i.denominator_code]
    assert len(ratios) == 7
    for ratio in ratios:
        num, den = ratio.numerator_code, ratio.denominator_code
        assert ("<=", num, den) in pairs, ratio.indicator_code
        assert ("≈", ratio.indicator_code, f"100 * {num} / {den}") in pairs
    investment = next(r for r in catalog_rules if r.rule_id == "investment_parts")
    assert (investment.severity, investment.tolerance, investment.tolerance_type) == (
        "warning",
        0.5,
        "percent",
    )
    codes = {i.indicator_code for i in load_catalog()}
    for rule in catalog_rules:
        assert set(rule.left.codes + rule.right.codes) <= codes, rule.rule_id


def test_every_shipped_rule_keeps_both_sides_as_warnings():
    """Each rule compares a rate with its parts, a part with its whole or a total with its
    parts: either side may be the wrong one, so a failure rejects nothing (DHIS2) and marks
    every value named on both sides."""
    for rule in read_rules():
        assert rule.severity == "warning", rule.rule_id
        assert set(rule.marked_codes) == set(rule.left.codes + rule.right.codes), rule.rule_id
    by_id = {rule.rule_id: rule for rule in read_rules()}
    assert by_id["rate_poverty"].marked_codes == ("VH.HO_NGHEO_TYLE", "VH.HO_NGHEO", "VH.TONG_HO")
    assert by_id["poor_and_near_poor_le_households"].marked_codes == (
        "VH.HO_NGHEO",
        "VH.HO_CAN_NGHEO",
        "VH.TONG_HO",
    )
    # An 'error' rule, for a left side that alone can be wrong, rejects that side only.
    assert _rule("A.X + A.Y", "<=", "A.Z").marked_codes == ("A.X", "A.Y")


def test_rule_rows_are_checked():
    row = {
        "rule_id": "x",
        "left_expression": "A.B",
        "operator": "<",
        "right_expression": "C.D",
        "tolerance": "0",
        "tolerance_type": "absolute",
        "severity": "error",
        "description_vi": "",
        "description_en": "",
    }
    with pytest.raises(RuleSyntaxError, match="operator"):
        rule_from_row(row)
    with pytest.raises(RuleSyntaxError, match="severity"):
        rule_from_row({**row, "operator": "<=", "severity": "fatal"})
    with pytest.raises(RuleSyntaxError, match="snake"):
        rule_from_row({**row, "operator": "<=", "rule_id": "Bad Id"})


def _rule(left, operator, right, tolerance=0.0, kind="absolute") -> ValidationRule:
    return ValidationRule(
        "r",
        parse_expression(left),
        operator,
        parse_expression(right),
        tolerance,
        kind,
        "error",
        "",
        "",
    )


def test_rule_differences_and_bounds():
    frame = pd.DataFrame({"A.R": [91.5, 95.0], "A.N": [98.0, 98.0], "A.D": [107.0, 107.0]})
    rate = _rule("A.R", "≈", "100 * A.N / A.D", 1.0)
    _, _, difference = rate.compute(frame)
    low, high = rate.bounds
    inside = difference.between(low, high)
    assert inside.tolist() == [True, False]  # 91,5 is 98/107 truncated; 95 is not
    parts = _rule("A.R", "≈", "A.N + A.D", 0.5, "percent")
    frame2 = pd.DataFrame({"A.R": [1005.0, 1200.0, 0.0], "A.N": [600.0] * 3, "A.D": [400.0] * 3})
    relative = parts.compute(frame2)[2]
    assert relative.iloc[0] == pytest.approx(100 * 5 / 1005)
    assert relative.between(-0.5, 0.5).tolist() == [True, False, False]
    assert _rule("A.N", "<=", "A.D").bounds == (None, 0.0)


# ------------------------------------------------------------------ robust statistics


def test_modified_z_score_matches_its_definition():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
    median = values.median()
    mad = (values - median).abs().median()
    z, _ = modified_z(values, pd.Series(median, index=values.index), mad, 0.0)
    expected = 0.6745 * (values - median) / mad
    assert np.allclose(z, expected)
    assert z.iloc[-1] > 3.5 and (z.iloc[:-1].abs() < 3.5).all()


def test_modified_z_falls_back_when_mad_is_zero():
    # 5 of 6 equal: MAD = 0; mean absolute deviation 10/6 scaled by 1.253314
    values = pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 10.0])
    mean_ad = (values - 0).abs().mean()
    z, sigma = modified_z(values, pd.Series(0.0, index=values.index), 0.0, mean_ad)
    assert sigma.iloc[0] == pytest.approx(1.253314 * 10 / 6)
    assert z.iloc[-1] == pytest.approx(10 / (1.253314 * 10 / 6))
    # all equal: no spread, no verdict, unless a floor is given
    flat = pd.Series([5.0, 5.0])
    assert modified_z(flat, flat, 0.0, 0.0)[0].isna().all()
    assert modified_z(flat + 1, flat, 0.0, 0.0, 1.0)[0].tolist() == [1.0, 1.0]


def test_history_needs_four_earlier_periods_and_ignores_later_ones():
    reference = pd.DataFrame(
        {
            "unit_key": "u",
            "indicator_code": "I",
            "period_code": [str(y) for y in range(2016, 2026)],
            "value": [100.0, 101, 99, 100, 102, 98, 100, 101, 100, 500],
        }
    )
    values = reference.assign(row_id=range(10), value_type="number")
    scores = history_scores(values, reference).set_index("row_id")
    assert scores.loc[range(4), "history_z"].isna().all()  # 2016-2019: < 4 earlier years
    assert scores.loc[4, "history_n"] == 4
    assert scores.loc[9, "history_z"] > 3.5  # 500 after years around 100
    assert scores.loc[9, "history_low"] < 100 < scores.loc[9, "history_high"]
    assert (scores.loc[4:8, "history_z"].abs() < 3.5).all()


def test_peers_need_five_other_units():
    reference = pd.DataFrame(
        {
            "unit_key": [f"u{i}" for i in range(7)],
            "peer_group": ["d"] * 6 + ["e"],
            "indicator_code": "I",
            "period_code": "2024",
            "value": [10.0, 11, 9, 10, 12, 40, 10],
        }
    )
    values = reference.assign(row_id=range(7), value_type="count")
    scores = peer_scores(values, reference).set_index("row_id")
    assert scores.loc[5, "peer_z"] > 3.5 and abs(scores.loc[0, "peer_z"]) < 3.5
    assert math.isnan(scores.loc[6, "peer_z"])  # alone in its district
    assert scores.loc[5, "peer_n"] == 6


# ------------------------------------------------------------------ versioned suites


def test_committed_suites_equal_the_generated_ones():
    """A change to the catalog, the rules file or the code must show up as a reviewed diff:
    run ``python -m flows.quality.suites --write-suites`` and commit quality/expectations/."""
    from flows.quality.suites import generated_suite_files

    generated = generated_suite_files()
    committed = {p.name: p.read_text(encoding="utf-8") for p in EXPECTATIONS_DIR.glob("*.json")}
    assert set(committed) == set(generated)
    for name, text in generated.items():
        assert json.loads(committed[name]) == json.loads(text), name


def test_suites_use_structured_row_conditions():
    text = (EXPECTATIONS_DIR / "observation_values.json").read_text(encoding="utf-8")
    suite = json.loads(text)
    conditions = [e["kwargs"].get("row_condition") for e in suite["expectations"]]
    assert all(c is None or isinstance(c, dict) for c in conditions)
    # whole numbers only: ranges are one pair of expectations over per-row bounds
    assert sum(isinstance(c, dict) for c in conditions) == 1


# ------------------------------------------------------------------ the real flow

RANGE_WARD = "21439"  # VH.BHYT_TYLE 150 %
TRUNCATED_RATE_WARD = "21442"  # 98/107 reported as 91,5: passes
WRONG_RATE_WARD = "21445"  # 98/107 reported as 95: fails, all three loaded, warned
RESOLVED_WARD = "21448"  # petitions resolved > received: both loaded, warned
ATTENDEES_WARD = "21451"  # attendees > summoned: both loaded, warned
PARTS_WARD = "21454"  # investment 20 % above its parts: all three loaded, warned
PARTS_OK_WARD = "21457"  # investment 0,3 % above its parts: within tolerance
PEER_WARD = "21463"  # learning families steadily ~40 % while peers are ~90 %
WHOLE_WARD = "21466"  # 2,5 new members typed over a cell
YEAR = 2025


def _smallest_population_ward(truth) -> str:
    candidates = [c for c in truth if c not in (PEER_WARD, RANGE_WARD)]
    return min(candidates, key=lambda code: truth[code][YEAR]["VH.DAN_SO"])


def _plant_faults(truth) -> dict[str, object]:
    """Deliberate faults in the demo's truth, one ward per rule kind."""
    year = truth[RANGE_WARD][YEAR]
    year["VH.BHYT_TYLE"] = 150.0
    for code, rate in ((TRUNCATED_RATE_WARD, 91.5), (WRONG_RATE_WARD, 95.0)):
        year = truth[code][YEAR]
        year.update({"XD.DV_TRIEU_TAP": 107, "XD.DV_HOC_NQ": 98, "XD.DV_HOC_NQ_TYLE": rate})
    year = truth[RESOLVED_WARD][YEAR]
    year["DV.Y_KIEN_GIAI_QUYET"] = year["DV.Y_KIEN_NHAN"] + 3
    year["DV.Y_KIEN_TYLE"] = 100.0
    year = truth[ATTENDEES_WARD][YEAR]
    year["XD.DV_HOC_NQ"] = year["XD.DV_TRIEU_TAP"] + 5
    year["XD.DV_HOC_NQ_TYLE"] = 100.0
    year = truth[PARTS_WARD][YEAR]
    year["KT.VON_DAU_TU"] = round(1.2 * (year["KT.VON_NS_CAP_TREN"] + year["KT.VON_NS_XA"]))
    year = truth[PARTS_OK_WARD][YEAR]
    year["KT.VON_DAU_TU"] = round(1.003 * (year["KT.VON_NS_CAP_TREN"] + year["KT.VON_NS_XA"]))
    for offset, values in enumerate(truth[PEER_WARD].values()):
        values["VH.GD_HOC_TAP_TYLE"] = 40.0 + (offset % 3) * 0.5
    # A population 40 % above the ward's own history, yet inside its district's range;
    # insured people follow so that the coverage rate still agrees.
    history_ward = _smallest_population_ward(truth)
    year = truth[history_ward][YEAR]
    year["VH.DAN_SO"] = round(1.4 * year["VH.DAN_SO"])
    year["VH.BHYT_SO_NGUOI"] = round(year["VH.DAN_SO"] * year["VH.BHYT_TYLE"] / 100)
    others = [truth[c][YEAR]["VH.DAN_SO"] for c in truth if c != history_ward]
    assert min(others) < year["VH.DAN_SO"] < max(others) * 1.1
    return {"history_ward": history_ward}


def _write_night(raw_dir):
    """The demo landing folder with the planted faults; returns what the tests look up."""
    builder = demo._DemoBuilder(raw_dir, 2025, load_catalog())
    planted = _plant_faults(builder.truth)
    for index, ward in enumerate(demo.WARDS):
        demo._write_ward(builder, ward, index)
    demo._write_bad_files(builder)
    # A yearly sheet whose period cannot be read: its values cannot be attributed.
    ward = demo.WARDS[0]
    style = demo._ward_style(ward, 0, 2025)
    spec = demo._year_spec(ward, style, random.Random(1), 2024)
    spec.period_text, spec.term_text, spec.subtitle = "Báo cáo chỉ tiêu chủ yếu", None, "Biểu"
    builder.write_sheet_file("loi/ky-khong-ro.xlsx", spec, builder.truth[ward.code], False)
    cells = {
        (row["source_file"], row["indicator_code"], row["period_code"]): row["source_cell"]
        for row in builder.manifest.expected_values
    }
    # A fractional count typed over the cell, as a clerk would.
    whole = demo.WARDS[[w.code for w in demo.WARDS].index(WHOLE_WARD)]
    whole_file = f"nam-{YEAR}/{whole.slug}.xlsx"
    whole_cell = cells[(whole_file, "XD.KET_NAP_DV", str(YEAR))]
    path = raw_dir / whole_file
    workbook = openpyxl.load_workbook(path)
    workbook["Bieu chi tieu"][whole_cell] = 2.5
    workbook.save(path)
    slugs = {w.code: w.slug for w in demo.WARDS}
    return {"cells": cells, "slugs": slugs, **planted}


@pytest.fixture(scope="module")
def night(prefect_server, tmp_path_factory):
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("quality_night")
    raw_dir = root / "raw"
    planted = _write_night(raw_dir)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(raw_dir), warehouse=str(warehouse))
    con = duckdb.connect(str(warehouse), read_only=True)
    issues = con.execute(
        "select s.source_file, i.severity, i.rule, i.indicator_code, i.period_code, "
        "i.source_cell, i.message from raw.issues as i join raw.submissions as s "
        "using (submission_id) order by all"
    ).df()
    values = con.execute(
        "select unit_key, indicator_code, period_code, value, quality_status, quality_notes, "
        "source_file, source_cell from marts.fct_indicator_value"
    ).df()
    status = con.execute(
        "select source_file, status, n_warnings, n_errors, reason from marts.rpt_submission_status"
    ).df()
    con.close()
    return {
        **planted,
        "root": root,
        "raw_dir": raw_dir,
        "warehouse": warehouse,
        "summary": summary,
        "issues": issues,
        "values": values,
        "status": status.set_index("source_file"),
    }


def _file(night, ward: str, year: int = YEAR) -> str:
    return f"nam-{year}/{night['slugs'][ward]}.xlsx"


def _cell(night, ward: str, code: str, year: int = YEAR) -> str:
    return night["cells"][(_file(night, ward, year), code, str(year))]


def _issues(night, ward: str, rule: str | None = None, code: str | None = None):
    frame = night["issues"]
    frame = frame[frame.source_file == _file(night, ward)]
    if rule:
        frame = frame[frame.rule == rule]
    if code:
        frame = frame[frame.indicator_code == code]
    return frame


def _value(night, ward: str, code: str, year: int = YEAR):
    frame = night["values"]
    rows = frame[
        (frame.unit_key == f"pre2025:{ward}")
        & (frame.indicator_code == code)
        & (frame.period_code == str(year))
    ]
    return None if rows.empty else rows.iloc[0]


slow = pytest.mark.slow


@slow
def test_range_rule(night):
    (issue,) = _issues(night, RANGE_WARD, "in_range").itertuples()
    assert issue.severity == "error" and issue.source_cell == _cell(
        night, RANGE_WARD, "VH.BHYT_TYLE"
    )
    assert "0–100" in issue.message and " / " in issue.message
    assert _value(night, RANGE_WARD, "VH.BHYT_TYLE") is None
    passing = _value(night, PARTS_OK_WARD, "VH.BHYT_TYLE")
    assert passing is not None and passing.quality_status == "ok"


@slow
def test_whole_number_rule(night):
    (issue,) = _issues(night, WHOLE_WARD, "whole_number").itertuples()
    assert issue.source_cell == _cell(night, WHOLE_WARD, "XD.KET_NAP_DV")
    assert _value(night, WHOLE_WARD, "XD.KET_NAP_DV") is None
    assert night["issues"].query("rule == 'whole_number'").shape[0] == 1
    assert _value(night, PARTS_OK_WARD, "XD.KET_NAP_DV") is not None


@slow
def test_rate_agreement_allows_truncation(night):
    assert _issues(night, TRUNCATED_RATE_WARD, "rate_attendance").empty
    kept = _value(night, TRUNCATED_RATE_WARD, "XD.DV_HOC_NQ_TYLE")
    assert kept.value == pytest.approx(91.5)


def _marked_as_warnings(night, ward: str, rule: str, codes: tuple[str, ...]) -> None:
    """Every value the failed rule names is loaded, marked 'warning' with the rule's message,
    and the rule raised one warning per value (none is rejected: either may be the wrong one)."""
    found = _issues(night, ward, rule)
    assert set(found.severity) == {"warning"}, rule
    assert sorted(zip(found.indicator_code, found.source_cell, strict=True)) == sorted(
        (code, _cell(night, ward, code)) for code in codes
    )
    for code in codes:
        loaded = _value(night, ward, code)
        assert loaded is not None, code
        assert loaded.quality_status == "warning" and rule in loaded.quality_notes, code
    assert night["status"].loc[_file(night, ward)].status == "loaded_with_warnings"


@slow
def test_a_rate_contradicting_its_parts_loads_all_three_as_warnings(night):
    codes = ("XD.DV_HOC_NQ_TYLE", "XD.DV_HOC_NQ", "XD.DV_TRIEU_TAP")
    _marked_as_warnings(night, WRONG_RATE_WARD, "rate_attendance", codes)
    issue = _issues(night, WRONG_RATE_WARD, "rate_attendance", "XD.DV_HOC_NQ_TYLE").iloc[0]
    message_vi, message_en = issue.message.split(" / ", 1)
    assert "Tỷ lệ đảng viên" in message_vi and "91,59" in message_vi and "95" in message_vi
    for code in codes:
        assert _cell(night, WRONG_RATE_WARD, code) in message_vi
    assert "attendance rate must agree" in message_en and "91.59" in message_en
    assert "marked as warnings" in message_en and "đánh dấu cảnh báo" in message_vi
    assert _value(night, WRONG_RATE_WARD, "XD.DV_HOC_NQ_TYLE").value == 95
    assert _value(night, WRONG_RATE_WARD, "XD.DV_HOC_NQ").value == 98


@slow
def test_numerator_above_denominator_loads_both_as_warnings(night):
    codes = ("DV.Y_KIEN_GIAI_QUYET", "DV.Y_KIEN_NHAN")
    _marked_as_warnings(night, RESOLVED_WARD, "resolved_le_received", codes)
    (issue,) = _issues(night, RESOLVED_WARD, "resolved_le_received", codes[1]).itertuples()
    assert _cell(night, RESOLVED_WARD, codes[0]) in issue.message
    assert night["issues"].query("rule == 'resolved_le_received'").shape[0] == 2


@slow
def test_attendees_above_summoned_load_as_warnings(night):
    codes = ("XD.DV_HOC_NQ", "XD.DV_TRIEU_TAP")
    _marked_as_warnings(night, ATTENDEES_WARD, "attendees_le_summoned", codes)
    assert night["issues"].query("rule == 'attendees_le_summoned'").shape[0] == 2
    # the truncation ward has 98 ≤ 107 and keeps its attendees unmarked
    kept = _value(night, TRUNCATED_RATE_WARD, "XD.DV_HOC_NQ")
    assert kept.value == 98 and _issues(night, TRUNCATED_RATE_WARD, "attendees_le_summoned").empty


@slow
def test_parts_add_up_to_their_total_is_a_warning(night):
    codes = ("KT.VON_DAU_TU", "KT.VON_NS_CAP_TREN", "KT.VON_NS_XA")
    _marked_as_warnings(night, PARTS_WARD, "investment_parts", codes)
    cell = _cell(night, PARTS_WARD, "KT.VON_DAU_TU")
    loaded = _value(night, PARTS_WARD, "KT.VON_DAU_TU")
    assert loaded.quality_notes.startswith(f"ô {cell}")
    status = night["status"].loc[_file(night, PARTS_WARD)]
    assert status.n_warnings >= 3 and cell in status.reason
    assert _issues(night, PARTS_OK_WARD, "investment_parts").empty
    assert _value(night, PARTS_OK_WARD, "KT.VON_DAU_TU").quality_status in ("ok", "warning")
    assert night["issues"].query("rule == 'investment_parts'").shape[0] == 3


@slow
def test_outlier_against_own_history(night):
    ward = night["history_ward"]
    found = _issues(night, ward, "outlier_history", "VH.DAN_SO")
    (issue,) = found.itertuples()
    assert issue.severity == "warning" and issue.source_cell == _cell(night, ward, "VH.DAN_SO")
    assert "khoảng dự kiến" in issue.message and "expected range" in issue.message
    assert _issues(night, ward, "outlier_peers", "VH.DAN_SO").empty
    loaded = _value(night, ward, "VH.DAN_SO")
    assert loaded.quality_status == "warning" and "expected range" in loaded.quality_notes
    others = night["issues"].query("rule == 'outlier_history' and indicator_code == 'VH.DAN_SO'")
    assert set(others.source_file) == {_file(night, ward)}


@slow
def test_outlier_against_peers(night):
    found = _issues(night, PEER_WARD, "outlier_peers", "VH.GD_HOC_TAP_TYLE")
    (issue,) = found.itertuples()
    assert issue.source_cell == _cell(night, PEER_WARD, "VH.GD_HOC_TAP_TYLE")
    assert "12 đơn vị" in issue.message and "12 units" in issue.message
    assert _issues(night, PEER_WARD, "outlier_history", "VH.GD_HOC_TAP_TYLE").empty
    peers = night["issues"].query(
        "rule == 'outlier_peers' and indicator_code == 'VH.GD_HOC_TAP_TYLE' "
        f"and period_code == '{YEAR}'"
    )
    assert set(peers.source_file) == {_file(night, PEER_WARD)}
    assert _value(night, PEER_WARD, "VH.GD_HOC_TAP_TYLE").quality_status == "warning"


@slow
def test_identity_rejects_the_submission(night):
    status = night["status"]
    assert status.loc["loi/ky-khong-ro.xlsx"].status == "rejected"
    assert "Kỳ báo cáo" in status.loc["loi/ky-khong-ro.xlsx"].reason
    issues = night["issues"]
    assert "period_known" in set(issues[issues.source_file == "loi/ky-khong-ro.xlsx"].rule)
    identity = issues[issues.rule.isin(["unit_known", "period_known", "period_valid"])]
    assert set(identity.source_file) == {"loi/ky-khong-ro.xlsx"}
    assert status.loc[_file(night, PARTS_OK_WARD)].status != "rejected"


@slow
def test_run_summary_reports_the_gate(night):
    summary = night["summary"]
    # Rejected: the 150 % and the 2,5 members only; the cross-value rules reject nothing.
    assert summary["values_warned"] >= 10 and summary["values_rejected"] == 2
    assert summary["issues_by_rule"]["warning:investment_parts"] == 3
    errors = {key.split(":", 1)[1] for key in summary["issues_by_rule"] if key[:6] == "error:"}
    assert errors.isdisjoint(rule.rule_id for rule in read_rules())
    docs = night["warehouse"].parent / "quality" / "docs" / summary["run_id"] / "index.html"
    assert summary["quality_docs"] == str(docs) and docs.exists()
    validations = list(docs.parent.glob("validations/**/*.html"))
    assert len(validations) == 4  # one result per suite
    assert set(summary["seconds_by_suite"]) >= {"observation_values", "validation_rules"}


@slow
def test_rerun_gives_the_same_verdicts(night):
    """The same submissions validated again (into a fresh warehouse, since a warehouse that
    already holds them has nothing to do) give the same issues, word for word."""
    from flows.nightly import nightly_pipeline

    warehouse = night["root"] / "again" / "warehouse.duckdb"
    again = nightly_pipeline(raw_dir=str(night["raw_dir"]), warehouse=str(warehouse))
    assert again["verdict_digest"] == night["summary"]["verdict_digest"]
    assert again["issues_by_rule"] == night["summary"]["issues_by_rule"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        issues = con.execute(
            "select s.source_file, i.severity, i.rule, i.indicator_code, i.period_code, "
            "i.source_cell, i.message from raw.issues as i join raw.submissions as s "
            "using (submission_id) order by all"
        ).df()
    finally:
        con.close()
    pd.testing.assert_frame_equal(issues, night["issues"])


def test_outlier_constants_are_the_documented_ones():
    assert (outliers.MAD_CONSISTENCY, outliers.OUTLIER_Z, outliers.MEAN_AD_CONSISTENCY) == (
        0.6745,
        3.5,
        1.253314,
    )
    assert (outliers.MIN_HISTORY, outliers.MIN_PEERS) == (4, 5)
