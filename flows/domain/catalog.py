"""The indicator catalog and the matching of sheet rows to its indicators.

A row is matched by its code when it has one, otherwise by its name: the folded
name or one of the folded aliases, then the closest folded name or alias when it
is similar enough (:data:`FUZZY_MATCH_THRESHOLD`).
"""

from __future__ import annotations

import csv
import difflib
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flows.domain.textnorm import fold, normalize_text
from flows.settings import INDICATOR_CATALOG_CSV

# difflib ratio on folded text above which a name is taken as the indicator's.
# 0.88 accepts typos and small wording changes ("tham gia" vs "tham gia vào")
# but not a different indicator of the same family ("hộ nghèo" vs "hộ cận nghèo").
FUZZY_MATCH_THRESHOLD = 0.88

# Enough for every distinct row label of a national night; bounded all the same.
_MAX_REMEMBERED_MATCHES = 100_000
_NOT_YET_MATCHED = object()
# Each thread's matchers, one per catalog label: a SequenceMatcher indexes its second
# sequence once, and is changed by every comparison, so threads must not share one.
_fuzzy_matchers = threading.local()

_SPACES = re.compile(r"\s+")
# Numbering typed before a name: "1.", "2.1", "a.", "b)", a dash or a bullet.
_ROW_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[a-z][.)]|[-+*•])\s+")
# Footnote markers after a name ("Tỷ lệ hộ nghèo (*)", "(1)", "(a)", "*", "**", "¹"), and
# a percent sign clerks add as the unit ("Tỷ lệ hộ nghèo (%)"), with the punctuation
# around them: not part of the name, so left out of its matching key.
_TRAILING_MARKERS_AND_PUNCTUATION = re.compile(
    r"(?:[\s:;,.%‰]|\(\s*(?:\*+|\d{1,2}|[a-z]|%|‰)\s*\)|\*+|[\u00b9\u00b2\u00b3\u2070-\u207e]+)+$"
)


# The numbered sections a ward's report groups its indicators under, by catalog domain,
# as the official form prints them (the demo files and the clerks' template both use them).
REPORT_SECTIONS = {
    "xay_dung_dang": ("I", "XÂY DỰNG ĐẢNG"),
    "kinh_te": ("II", "KINH TẾ"),
    "van_hoa_xa_hoi": ("III", "VĂN HÓA - XÃ HỘI"),
    "quoc_phong_an_ninh": ("IV", "QUỐC PHÒNG - AN NINH"),
    "dan_van": ("V", "CÔNG TÁC DÂN VẬN"),
    "mat_tran_doan_the": ("VI", "MẶT TRẬN TỔ QUỐC VÀ CÁC ĐOÀN THỂ"),
}


@dataclass(frozen=True)
class Indicator:
    """One catalog row; ``aliases_vi`` split on ``|``, bounds as floats, flags as bools."""

    indicator_code: str
    name_vi: str
    name_en: str
    aliases_vi: tuple[str, ...]
    unit: str
    value_type: str
    unit_aggregation: str
    time_aggregation: str
    numerator_code: str | None
    denominator_code: str | None
    higher_is_better: bool | None
    domain: str
    min_value: float | None
    max_value: float | None

    @property
    def takes_whole_numbers(self) -> bool:
        """Counts and money: ``8.412`` is eight thousand, not eight."""
        return self.value_type in ("count", "money_vnd")


@dataclass
class Catalog:
    """Indicators by code, with folded names and aliases for matching rows."""

    indicators: dict[str, Indicator]
    _by_folded_name: dict[str, Indicator] = field(default_factory=dict, repr=False)
    _by_folded_code: dict[str, Indicator] = field(default_factory=dict, repr=False)
    # Rows repeat in every ward's file: the match of each (code, name) text pair is kept.
    _matches: dict[tuple[str | None, str | None], Indicator | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for indicator in self.indicators.values():
            self._by_folded_code[_code_key(indicator.indicator_code)] = indicator
            for label in (indicator.name_vi, *indicator.aliases_vi):
                # The first indicator to claim a label keeps it; aliases never shadow names.
                self._by_folded_name.setdefault(name_key(label), indicator)

    def __len__(self) -> int:
        return len(self.indicators)

    def __iter__(self):
        return iter(self.indicators.values())

    def get(self, code: str) -> Indicator | None:
        """The indicator with exactly this code, or None."""
        return self.indicators.get(code)

    def match(self, code_text: object, name_text: object) -> Indicator | None:
        """The indicator a sheet row refers to: by code, then name/alias, then fuzzy name."""
        if (code_text is None or type(code_text) is str) and (
            name_text is None or type(name_text) is str
        ):
            key = (code_text, name_text)
            found = self._matches.get(key, _NOT_YET_MATCHED)  # one look-up: safe in threads
            if found is not _NOT_YET_MATCHED:
                return found
            if len(self._matches) >= _MAX_REMEMBERED_MATCHES:
                self._matches.clear()
            found = self._match_uncached(code_text, name_text)
            self._matches[key] = found
            return found
        return self._match_uncached(code_text, name_text)

    def _match_uncached(self, code_text: object, name_text: object) -> Indicator | None:
        by_code = self.match_code(code_text)
        if by_code is not None:
            return by_code
        return self.match_name(name_text)

    def match_code(self, code_text: object) -> Indicator | None:
        """The indicator whose code is written in the cell (case and spaces ignored)."""
        if code_text is None:
            return None
        return self._by_folded_code.get(_code_key(str(code_text)))

    def match_name(self, name_text: object) -> Indicator | None:
        """The indicator whose folded name or alias equals, or closely resembles, the text."""
        key = name_key(name_text)
        if not key:
            return None
        exact = self._by_folded_name.get(key)
        if exact is not None:
            return exact
        return self._fuzzy_match(key)

    def _fuzzy_match(self, key: str) -> Indicator | None:
        """The indicator of the label most like ``key``, if alike enough (first one on a tie).

        ``real_quick_ratio`` and ``quick_ratio`` are upper bounds of ``ratio``: a label
        that cannot reach the threshold, or beat the best so far, is passed over without
        the full comparison, so a sheet of rows matching nothing stays cheap. The result
        is the one comparing every label in full would give.
        """
        best_ratio, best = 0.0, None
        for matcher, indicator in self._label_matchers():
            matcher.set_seq1(key)
            floor = max(best_ratio, FUZZY_MATCH_THRESHOLD)
            if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best_ratio, best = ratio, indicator
        return best if best_ratio >= FUZZY_MATCH_THRESHOLD else None

    def _label_matchers(self) -> list[tuple[difflib.SequenceMatcher, Indicator]]:
        """This thread's matcher of each label, in label order (built once per catalog)."""
        labels = tuple(self._by_folded_name.items())
        built = getattr(_fuzzy_matchers, "by_labels", None)
        if built is None or built[0] != labels:
            matchers = [
                (difflib.SequenceMatcher(None, "", label), indicator) for label, indicator in labels
            ]
            built = _fuzzy_matchers.by_labels = (labels, matchers)
        return built[1]


def _code_key(code: str) -> str:
    return _SPACES.sub("", normalize_text(code)).upper()


def name_key(text: object) -> str:
    """A name's matching key: folded, without row numbering, trailing punctuation and
    footnote markers (the text as typed is kept elsewhere, for provenance)."""
    folded = _ROW_NUMBERING.sub("", fold(text))
    return _TRAILING_MARKERS_AND_PUNCTUATION.sub("", folded).strip()


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _optional_bool(text: str) -> bool | None:
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    return cleaned in ("true", "1", "yes", "t")


def _indicator_from_row(row: dict[str, str]) -> Indicator:
    aliases = tuple(alias.strip() for alias in row["aliases_vi"].split("|") if alias.strip())
    return Indicator(
        indicator_code=row["indicator_code"].strip(),
        name_vi=row["name_vi"].strip(),
        name_en=row["name_en"].strip(),
        aliases_vi=aliases,
        unit=row["unit"].strip(),
        value_type=row["value_type"].strip(),
        unit_aggregation=row["unit_aggregation"].strip(),
        time_aggregation=row["time_aggregation"].strip(),
        numerator_code=row["numerator_code"].strip() or None,
        denominator_code=row["denominator_code"].strip() or None,
        higher_is_better=_optional_bool(row["higher_is_better"]),
        domain=row["domain"].strip(),
        min_value=_optional_float(row["min_value"]),
        max_value=_optional_float(row["max_value"]),
    )


def read_catalog(path: Path) -> Catalog:
    """A catalog read from a CSV with the seed's columns (no caching)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        indicators = [_indicator_from_row(row) for row in csv.DictReader(handle)]
    return Catalog({indicator.indicator_code: indicator for indicator in indicators})


@lru_cache(maxsize=8)
def _cached_catalog(path: Path, modified_ns: int) -> Catalog:
    return read_catalog(path)


def load_catalog(path: Path | str = INDICATOR_CATALOG_CSV) -> Catalog:
    """The catalog at ``path``, cached until the file changes."""
    resolved = Path(path).resolve()
    return _cached_catalog(resolved, resolved.stat().st_mtime_ns)
