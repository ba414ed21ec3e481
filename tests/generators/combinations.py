"""Combinations, not rows: the ways a ward's table may vary, from the submission spec.

The casebook (``casebook.py``) proves each form of ``submission-format.md`` on its own; real
files combine them. Every way a table may vary is a dimension of :data:`DIMENSIONS`: the
header spellings of each role, one or two header rows, merged spans, year blocks and
estimate columns, the text encoding of the whole sheet (NFC, NFD, TCVN3, VNI), decorations
(footnote markers, numbering, section rows, spacer rows and columns, notes beside the
table), where the metadata sits, and the container. A new form seen in the field is one
more value here.

:data:`INVALID` lists combinations that describe no sheet (a year header over a single
value column); :data:`KNOWN_FAILING` those the reader cannot read yet, each naming its class,
so that the suite passes while the fixes are under way: remove an entry when its fix lands.
The rest of the chain: ``combinations_tables`` draws tables (hypothesis, and a pairwise
covering set from ``combinations_pairwise``), ``combinations_sheet`` lays one out as a sheet
and says what must be read back, ``combinations_files`` writes it with a real writer and
reads it with the real reader.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from flows.domain.textnorm import encode_tcvn3, encode_vni
from tests.generators.casebook_writers import _cp1258
from tests.generators.combinations_pairwise import Forbidden

# ------------------------------------------------------------------ the dimensions

NONE = "—"
YEAR_WORDS = ("Năm {year}", "{year}", "TH {year}", "Thực hiện {year}")
ESTIMATE_WORDS = ("Ước {year}", "Ước TH {year}", "Ước thực hiện năm {year}")
VALUE_WORDS = ("Thực hiện", "Kết quả", "Số liệu")
BLOCK_WORDS = ("Kết quả thực hiện qua các năm", "Thực hiện qua các năm")
GROUP_HEADERS = ("group-merged", "group-unmerged")
BLOCK_HEADERS = ("block-merged", "block-unmerged")
PERIOD_FORMS = (
    "Năm {year}",
    "{year}",
    "Quý {roman}/{year}",
    "Quý {quarter} năm {year}",
    "6 tháng đầu năm {year}",
    "Giữa nhiệm kỳ {term}",
    "Sơ kết giữa nhiệm kỳ",
    "Nhiệm kỳ {term}",
    "Tổng kết nhiệm kỳ",
)
# Period forms that name the term only through a "Nhiệm kỳ" label (or a title line).
PERIODS_NEEDING_TERM = ("Sơ kết giữa nhiệm kỳ", "Tổng kết nhiệm kỳ")

# The metadata labels of each label set: unit, code, district, province, period, date.
# "type" stands for the ward's own type (Phường / Xã), as in "Xã: Phổ An".
LABEL_SETS: dict[str, tuple[str, str, str, str, str, str]] = {
    "Đơn vị": ("Đơn vị", "Mã đơn vị", "Thị xã", "Tỉnh", "Kỳ báo cáo", "Ngày báo cáo"),
    "Tên đơn vị": ("Tên đơn vị", "Mã ĐVHC", "Huyện", "Tỉnh", "Kỳ", "Ngày lập"),
    "Phường: / Xã:": ("type", "Mã type", "Thành phố", "Tỉnh", "Thời kỳ", "Ngày"),
    "Phường/Xã": ("Phường/Xã", "Mã đơn vị", "Quận", "Tỉnh", "Năm báo cáo", "Ngày lập"),
}

# Each dimension and its values, the plainest first (what a failing draw shrinks to).
# Column roles are one dimension each: NONE leaves the column out, any other value is the
# header as written; so a pair of spellings is only ever covered where both are written.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "container": (
        "xlsx-openpyxl",
        "xlsx-xlsxwriter",
        "xls",
        "ods",
        "csv-utf-8",
        "csv-utf-8-sig",
        "csv-cp1258",
    ),
    "encoding": ("nfc", "nfd", "tcvn3", "vni"),
    "value_header": ("single", "years", *GROUP_HEADERS, *BLOCK_HEADERS),
    "value_word": (*VALUE_WORDS, *BLOCK_WORDS, NONE),
    "year_word": (NONE, *YEAR_WORDS),
    "estimate": (NONE, *ESTIMATE_WORDS),
    "stt": ("STT", "TT", "Số TT", NONE),
    "code": (NONE, "Mã chỉ tiêu", "Mã số", "Mã"),
    "name": ("Chỉ tiêu", "Tên chỉ tiêu", "Nội dung", "Nội dung chỉ tiêu"),
    "unit": ("ĐVT", "Đơn vị tính", NONE),
    "target": (NONE, "Chỉ tiêu NQ", "Chỉ tiêu Nghị quyết", "Mục tiêu NQ", "Kế hoạch", "KH"),
    "midterm": (NONE, "Giữa nhiệm kỳ", "Sơ kết"),
    "computed": (NONE, "So sánh", "So với NQ (%)", "Tỷ lệ đạt"),
    "assessment": (NONE, "Đánh giá"),
    "note": (NONE, "Ghi chú"),
    "name_form": ("name", "alias"),
    "footnote": (NONE, "(*)", "(1)", "*", "¹"),
    "numbering": ("1", "1.", "a", "a)", "-", "+"),
    "sections": (NONE, "I", "A"),
    "spacer_rows": (NONE, "after header", "between rows"),
    "spacer_column": (NONE, "left", "inside"),
    "column_numbers": (NONE, "(1) (2) (3)"),
    "notes_beside": (NONE, "right", "below"),
    "title": (NONE, "plain", "merged"),
    "metadata": ("lines", "cells", "side", "title"),
    "labels": tuple(LABEL_SETS),
    "identity": ("code and name", "name, district, province"),
    "period": PERIOD_FORMS,
    "report_date": (NONE, "{day}/{month}/{year}", "ngày {day} tháng {month} năm {year}"),
    "value_form": ("number", "text", "percent format"),
}

_NOT_SINGLE = ("years", *GROUP_HEADERS, *BLOCK_HEADERS)

# Combinations that describe no sheet a clerk could send.
INVALID: tuple[Forbidden, ...] = (
    Forbidden.of(
        "one value column is headed by a value word",
        value_header=["single"],
        value_word=[*BLOCK_WORDS, NONE],
    ),
    Forbidden.of("one value column has no year", value_header=["single"], year_word=YEAR_WORDS),
    Forbidden.of("an estimate is a year column", value_header=["single"], estimate=ESTIMATE_WORDS),
    Forbidden.of("year columns have year headers", value_header=_NOT_SINGLE, year_word=[NONE]),
    Forbidden.of(
        "year columns in one row have no group header",
        value_header=["years"],
        value_word=[*VALUE_WORDS, *BLOCK_WORDS],
    ),
    Forbidden.of(
        "a group over years is a value word",
        value_header=GROUP_HEADERS,
        value_word=[*BLOCK_WORDS, NONE],
    ),
    Forbidden.of(
        "a year block is headed as one",
        value_header=BLOCK_HEADERS,
        value_word=[*VALUE_WORDS, NONE],
    ),
    Forbidden.of(
        "TCVN3 writes ạ as ¹: a superscript marker cannot be typed in it",
        encoding=["tcvn3"],
        footnote=["¹"],
    ),
    Forbidden.of("a title must be there to hold the period", metadata=["title"], title=[NONE]),
    Forbidden.of("a bare year in a title says no period", metadata=["title"], period=["{year}"]),
    Forbidden.of(
        "'Năm báo cáo' labels a year only",
        labels=["Phường/Xã"],
        period=[form for form in PERIOD_FORMS if form not in ("Năm {year}", "{year}")],
    ),
    Forbidden.of(
        "a computed column compares with a target",
        computed=DIMENSIONS["computed"][1:],
        target=[NONE],
    ),
)


@dataclass(frozen=True)
class KnownFailure:
    """A combination the reader cannot read yet, and the options of its minimal table
    (every other dimension the plainest) with the indicator that table reads.

    With ``indicators``, only those indicators fail in the combination: they are left
    out of its tables, and the combination itself stays allowed.
    """

    forbidden: Forbidden
    example: tuple[tuple[str, str], ...]
    indicator: str
    indicators: frozenset[str] = frozenset()

    @property
    def reason(self) -> str:
        return self.forbidden.reason


def _known(
    reason: str,
    example: dict[str, str],
    indicator: str,
    indicators: Sequence[str] = (),
    **values: Sequence[str],
) -> KnownFailure:
    forbidden = Forbidden.of(reason, **values)
    return KnownFailure(forbidden, tuple(example.items()), indicator, frozenset(indicators))


_CODES = DIMENSIONS["code"][1:]

# Combinations the reader cannot read today, by class (issue #23 and what the sweep found
# beside it). Each is fixed by another change: remove its entry when the fix lands, and
# test_combinations.py's draws cover it again (its known-failure test says when).
KNOWN_FAILING: tuple[KnownFailure, ...] = ()


# ------------------------------------------------------------------ text

ENCODERS: dict[str, Callable[[str], str]] = {
    "nfc": lambda text: unicodedata.normalize("NFC", text),
    "nfd": lambda text: unicodedata.normalize("NFD", text),
    "tcvn3": encode_tcvn3,
    "vni": encode_vni,
}

# The legacy fonts the cells were typed with, for realism (the reader ignores fonts).
FONTS = {"tcvn3": ".VnTime", "vni": "VNI-Times"}


def as_read_back(text: str, container: str) -> str:
    """``text`` as the reader gets it back from ``container``: Windows-1258 CSV keeps only
    what that code page holds, and the reader composes it (NFC)."""
    if container != "csv-cp1258":
        return text
    return unicodedata.normalize("NFC", _cp1258(text).decode("cp1258"))


def survives(text: str, container: str, encoding: str) -> bool:
    """Whether ``text``, in ``encoding``, can be written in ``container`` at all."""
    if container != "csv-cp1258":
        return True
    try:
        _cp1258(ENCODERS[encoding](text))
    except UnicodeEncodeError:
        return False
    return True


# The dimensions whose values are texts written in the sheet (header words, markers...).
_TEXT_DIMENSIONS = frozenset(
    {
        "value_word",
        "year_word",
        "estimate",
        *("stt", "code", "name", "unit", "target", "midterm", "computed", "assessment", "note"),
        *("footnote", "numbering", "sections", "period", "report_date"),
    }
)


def _option_texts(dim: str, value: str) -> list[str]:
    """The texts a dimension's value puts in the sheet (for the code-page check)."""
    if dim == "labels":
        return [label for label in LABEL_SETS[value] if label != "type"]
    if dim not in _TEXT_DIMENSIONS or value == NONE:
        return []
    return [value.format(year=2021, roman="I", quarter=1, term="2020-2025", day=1, month=1)]


@cache
def _unwritable() -> tuple[Forbidden, ...]:
    """Option values whose text a Windows-1258 CSV cannot hold in a legacy encoding
    (TCVN3 writes ị as Þ, which that code page lacks): "where text allows"."""
    found = []
    for encoding in ("tcvn3", "vni"):
        for dim, values in DIMENSIONS.items():
            for value in values:
                if not all(survives(t, "csv-cp1258", encoding) for t in _option_texts(dim, value)):
                    found.append(
                        Forbidden.of(
                            f"{value!r} in {encoding} does not fit Windows-1258",
                            container=["csv-cp1258"],
                            encoding=[encoding],
                            **{dim: [value]},
                        )
                    )
    return tuple(found)


def constraints(known_failing: Sequence[KnownFailure] = KNOWN_FAILING) -> list[Forbidden]:
    """Everything a drawn table must not combine: invalid, unwritable, known to fail."""
    refused = [known.forbidden for known in known_failing if not known.indicators]
    return [*INVALID, *_unwritable(), *refused]


__all__ = [
    "DIMENSIONS",
    "INVALID",
    "KNOWN_FAILING",
    "NONE",
    "KnownFailure",
    "as_read_back",
    "constraints",
    "survives",
]
