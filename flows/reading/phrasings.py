"""How reports word their figures: the cue phrases that tie a prose figure to an indicator.

A narrative report never writes "XD.KET_NAP_DV = 12"; it writes "kết nạp 12 đảng viên
mới". The cues come from two places: the catalog's names and aliases (a curator's work,
shared with the sheets), and the seed ``narrative_phrasings.csv`` for wordings only prose
uses. A seed phrase marks the figure's place with ``...`` ("kết nạp ... đảng viên mới",
"... tổ dân phố đạt tổ dân phố văn hóa"); without it the figure follows the phrase. The seed
also lists context phrases (``role``) that lower or rule out a figure: a single project's
money, one event's participation, a proposal, a target, a section of targets, and numbers
that are part of a name.

Everything is matched on folded text (:func:`aligned_fold`: lowercase, no diacritics, one
character per character of the text, so positions found in it are positions in the text).
"""

from __future__ import annotations

import bisect
import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flows.domain.catalog import Catalog, Indicator
from flows.domain.textnorm import fold, strip_diacritics
from flows.settings import SEEDS_DIR

NARRATIVE_PHRASINGS_CSV = SEEDS_DIR / "narrative_phrasings.csv"

CUE = "cue"
SINGLE_PROJECT = "single_project"
PER_EVENT = "per_event"
PART_ONLY = "part_only"
PROPOSAL = "proposal"
TARGET = "target"
TARGET_SECTION = "target_section"
BLOCK_BEFORE_CUE = "block_before_cue"
NOT_FIGURE = "not_figure"
# Roles whose phrase caps the confidence of the figures near it at the row's confidence.
CAPPING_ROLES = (SINGLE_PROJECT, PER_EVENT, PART_ONLY, PROPOSAL)
ROLES = (CUE, *CAPPING_ROLES, TARGET, TARGET_SECTION, BLOCK_BEFORE_CUE, NOT_FIGURE)

FIGURE_SLOT = "..."
# Catalog labels as cues: a name is the surest; an alias split around the figure
# ("Tiếp nhận | đảng viên" for "Tiếp nhận 19 đảng viên") a little less; a label after the
# figure ("217.213.000đ là ngân sách phường") less again.
CATALOG_NAME_CONFIDENCE = 0.92
CATALOG_ALIAS_CONFIDENCE = 0.9
CATALOG_SPLIT_CONFIDENCE = 0.85
CATALOG_AFTER_CONFIDENCE = 0.75
# Words too general to stand alone on one side of a split label ("Tỷ lệ | hộ nghèo" yes,
# "Số | chi bộ trực thuộc" no).
_GENERIC_WORDS = frozenset(["so", "tong", "ty", "le", "cua", "cac", "duoc", "da", "va", "la", "co"])

# Between the words of a phrase: spaces, commas, quotes and dashes do not break it
# ("Tổng số ý kiến, kiến nghị", "Mô hình “Dân vận khéo”"); parentheses, colons do.
SOFT_SEPARATORS = "\\s,“”\"'‘’«»\\-–—"
_SOFT = re.compile(f"[{SOFT_SEPARATORS}]+")
_BETWEEN_WORDS = f"[{SOFT_SEPARATORS}]+"
NUMBER_PATTERN = r"\d[\d.,:]*"

# Unit words after a figure, folded, by the class of indicator unit they fill.
PERCENT = "percent"
MONEY = "money"
PEOPLE = "people"
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    PEOPLE: (
        "dong chi",
        "d/c",
        "dang vien",
        "luot nguoi",
        "nguoi",
        "nhan khau",
        "hoi vien",
        "doan vien",
    ),
    "ho": ("ho gia dinh", "ho", "gia dinh"),
    "chi bo": ("chi bo",),
    "y kien": ("y kien", "kien nghi", "luot y kien"),
    "to dan pho": ("to dan pho", "tdp", "thon", "khu pho"),
    "mo hinh": ("mo hinh",),
}
# The catalog's units (folded) that are classes of their own.
_UNIT_CLASS_OF = {"nguoi": PEOPLE, "%": PERCENT, "dong": MONEY}


def _fold_char(char: str) -> str:
    folded = strip_diacritics(char).lower()
    return folded if len(folded) == 1 else char.lower()[:1] or char


@lru_cache(maxsize=16384)
def aligned_fold(text: str) -> str:
    """``text`` folded one character for one: positions in it are positions in ``text``.

    ``text`` is expected in NFC (``normalize_text`` output); a character that folds to
    more or fewer than one character keeps its lowercase self.
    """
    return "".join(_fold_char(char) for char in unicodedata.normalize("NFC", text))


def phrase_words(phrase: str) -> list[str]:
    """The folded words of a phrase (soft separators dropped)."""
    return [word for word in _SOFT.split(fold(phrase)) if word]


def phrase_key(matched: str) -> str:
    """The lookup key of a folded text a phrase pattern matched."""
    return " ".join(word for word in _SOFT.split(matched) if word)


def unit_class_of(indicator: Indicator) -> str:
    """The class of figures an indicator takes: percent, money, people, or its folded unit."""
    if indicator.value_type == "percent":
        return PERCENT
    if indicator.value_type == "money_vnd":
        return MONEY
    unit = fold(indicator.unit)
    return _UNIT_CLASS_OF.get(unit, unit)


@dataclass(frozen=True)
class Phrasing:
    """One row of ``narrative_phrasings.csv``."""

    role: str
    indicator_code: str
    phrase: str
    unit_words: tuple[str, ...]
    confidence: float
    note: str = ""


@dataclass(frozen=True)
class Phrasings:
    """The seed's rows, read once per file version."""

    rows: tuple[Phrasing, ...]
    source: str = ""


@dataclass(frozen=True)
class Cue:
    """A phrase tying the figure next to it to an indicator.

    ``before`` is the folded phrase standing before the figure ('' when the phrase stands
    after it only), ``after`` the words right after the figure ('' when none);
    ``max_gap_words`` how many words may stand between ``before`` and the figure.
    """

    indicator_code: str
    before: str
    after: str
    confidence: float
    unit_words: tuple[str, ...] = ()
    max_gap_words: int = 16
    source: str = "seed"


class PhraseTrie:
    """Phrases by their words, to find every phrase starting at every word of a text.

    Words are separated by soft separators only: a phrase never runs across a parenthesis,
    a colon or a full stop.
    """

    def __init__(self, phrases: dict[str, list[Cue]]) -> None:
        self.root: dict = {}
        for phrase, cues in phrases.items():
            node = self.root
            for word in phrase.split():
                node = node.setdefault(word, {})
            node.setdefault(_CUES, []).extend(cues)

    def matches_from(
        self, words: list[tuple[int, int, str]], folded: str, first: int
    ) -> list[tuple[int, list[Cue]]]:
        """(end, cues) of every phrase starting at word ``first``, shortest first."""
        found, node = [], self.root
        for index in range(first, len(words)):
            start, end, word = words[index]
            if index > first and not _SOFT_ONLY.fullmatch(folded[words[index - 1][1] : start]):
                break
            node = node.get(word)
            if node is None:
                break
            if _CUES in node:
                found.append((end, node[_CUES]))
        return found


_CUES = "\x00cues"
_WORD = re.compile(r"[^\W_]+(?:/[^\W_]+)*|%")
_SOFT_ONLY = re.compile(f"[{SOFT_SEPARATORS}]*")


def words_of(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each word of a folded text."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(folded)]


@dataclass
class PhraseMatcher:
    """Compiled cues and context phrases for one catalog and one seed."""

    catalog: Catalog
    before_cues: PhraseTrie
    after_cues: PhraseTrie
    context_patterns: dict[str, list[tuple[re.Pattern[str], float]]]
    not_figure_patterns: list[re.Pattern[str]]
    ratio_of_numerator: dict[str, Indicator] = field(default_factory=dict)

    def before_matches(
        self, folded: str, words: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, list[Cue]]]:
        """(start, end, cues) of every phrase that may stand before a figure, at every word."""
        found = []
        for first, (start, _, _) in enumerate(words):
            for end, cues in self.before_cues.matches_from(words, folded, first):
                found.append((start, end, cues))
        return found

    def after_matches_at(
        self, folded: str, words: list[tuple[int, int, str]], position: int
    ) -> list[tuple[int, list[Cue]]]:
        """(end, cues) of the phrases starting at the word at ``position``, longest first."""
        first = bisect.bisect_left(words, (position, -1, ""))
        if first >= len(words) or words[first][0] != position:
            return []
        return self.after_cues.matches_from(words, folded, first)[::-1]

    def context_spans(self, folded: str, role: str) -> list[tuple[int, int, float]]:
        """(start, end, confidence) of the phrases of one context role in the text."""
        spans = []
        for pattern, confidence in self.context_patterns.get(role, ()):
            spans.extend((m.start(), m.end(), confidence) for m in pattern.finditer(folded))
        return spans

    def related(self, indicator: Indicator, unit_class: str | None) -> Indicator | None:
        """The indicator a figure of ``unit_class`` fills when its cue names ``indicator``.

        The indicator itself when the unit fits; its share when a percent follows a count
        ("98 đồng chí, tỷ lệ 91,5%"); the count when a head count follows a share's cue.
        """
        if unit_fits(indicator, unit_class):
            return indicator
        if unit_class == PERCENT:
            return self.ratio_of_numerator.get(indicator.indicator_code)
        if indicator.value_type == "percent" and indicator.numerator_code:
            numerator = self.catalog.get(indicator.numerator_code)
            if numerator is not None and unit_fits(numerator, unit_class):
                return numerator
        return None


def unit_fits(indicator: Indicator, unit_class: str | None) -> bool:
    """True when a figure of ``unit_class`` (None: a bare number) can be this indicator's.

    A percent never fills a count, money only money; a bare number only a count.
    """
    wanted = unit_class_of(indicator)
    if unit_class is None:
        return indicator.value_type == "count"
    return unit_class == wanted


def _context_pattern(phrases: list[str]) -> re.Pattern[str]:
    """Context phrases as one pattern; ``...`` stands for a number."""
    bodies = []
    for phrase in sorted(phrases, key=len, reverse=True):
        pieces = [
            _BETWEEN_WORDS.join(re.escape(word) for word in phrase_words(part))
            for part in phrase.split(FIGURE_SLOT)
        ]
        bodies.append((r"\s*" + NUMBER_PATTERN + r"\s*").join(pieces))
    return re.compile(r"(?<![\w/])(?:" + "|".join(bodies) + r")(?![\w])")


def _split_phrase(phrase: str) -> tuple[str, str]:
    before, _, after = phrase.replace(".../...", FIGURE_SLOT).partition(FIGURE_SLOT)
    return " ".join(phrase_words(before)), " ".join(phrase_words(after))


def _catalog_cues(catalog: Catalog) -> list[Cue]:
    """The catalog's names and aliases as cues: before the figure, split around it, after it."""
    cues: list[Cue] = []
    for indicator in catalog:
        code = indicator.indicator_code
        labels = [(indicator.name_vi, CATALOG_NAME_CONFIDENCE)]
        labels += [(alias, CATALOG_ALIAS_CONFIDENCE) for alias in indicator.aliases_vi]
        for label, confidence in labels:
            words = phrase_words(re.sub(r"\(.*?\)", " ", label))
            if not words:
                continue
            cues.append(Cue(code, " ".join(words), "", confidence, source="catalog"))
            cues.append(Cue(code, "", " ".join(words), CATALOG_AFTER_CONFIDENCE, source="catalog"))
            for cut in range(1, len(words)):
                before, after = words[:cut], words[cut:]
                if set(before) <= _GENERIC_WORDS or set(after) <= _GENERIC_WORDS:
                    continue
                cues.append(
                    Cue(
                        code,
                        " ".join(before),
                        " ".join(after),
                        CATALOG_SPLIT_CONFIDENCE,
                        max_gap_words=3,
                        source="catalog",
                    )
                )
    return cues


def _seed_cues(phrasings: Phrasings) -> list[Cue]:
    cues = []
    for row in phrasings.rows:
        if row.role != CUE:
            continue
        before, after = _split_phrase(row.phrase)
        gap = 3 if before and after else 16
        cues.append(Cue(row.indicator_code, before, after, row.confidence, row.unit_words, gap))
    return cues


def build_matcher(catalog: Catalog, phrasings: Phrasings) -> PhraseMatcher:
    """Compile the cues of a catalog and a seed (see :func:`matcher_for`, which caches)."""
    before_cues: dict[str, list[Cue]] = {}
    after_cues: dict[str, list[Cue]] = {}
    for cue in _catalog_cues(catalog) + _seed_cues(phrasings):
        if catalog.get(cue.indicator_code) is None:
            continue  # a seed row for an indicator this catalog lacks
        if cue.before:
            before_cues.setdefault(cue.before, []).append(cue)
        else:
            after_cues.setdefault(cue.after, []).append(cue)
    # Split cues are found by their "before" part; their "after" part is checked in place.
    # Context phrases: one pattern per role and confidence, so a text is searched once for each.
    grouped: dict[tuple[str, float], list[str]] = {}
    for row in phrasings.rows:
        if row.role != CUE:
            grouped.setdefault((row.role, row.confidence), []).append(row.phrase)
    context: dict[str, list[tuple[re.Pattern[str], float]]] = {}
    not_figure: list[re.Pattern[str]] = []
    for (role, confidence), phrases in grouped.items():
        if role == NOT_FIGURE:
            not_figure.append(_context_pattern(phrases))
        else:
            context.setdefault(role, []).append((_context_pattern(phrases), confidence))
    ratios = {
        indicator.numerator_code: indicator
        for indicator in catalog
        if indicator.value_type == "percent" and indicator.numerator_code
    }
    return PhraseMatcher(
        catalog=catalog,
        before_cues=PhraseTrie(before_cues),
        after_cues=PhraseTrie(after_cues),
        context_patterns=context,
        not_figure_patterns=not_figure,
        ratio_of_numerator=ratios,
    )


# Built matchers by (catalog, seed) identity; both objects are kept alive with their entry.
_MATCHERS: dict[tuple[int, int], tuple[Catalog, Phrasings, PhraseMatcher]] = {}
_MAX_MATCHERS = 8


def matcher_for(catalog: Catalog, phrasings: Phrasings) -> PhraseMatcher:
    """The compiled matcher of this catalog and seed, built once."""
    key = (id(catalog), id(phrasings))
    entry = _MATCHERS.get(key)
    if entry is not None and entry[0] is catalog and entry[1] is phrasings:
        return entry[2]
    if len(_MATCHERS) >= _MAX_MATCHERS:
        _MATCHERS.clear()
    matcher = build_matcher(catalog, phrasings)
    _MATCHERS[key] = (catalog, phrasings, matcher)
    return matcher


def _phrasing_from_row(row: dict[str, str], line: int, path: Path) -> Phrasing:
    role = (row.get("role") or "").strip()
    code = (row.get("indicator_code") or "").strip()
    phrase = (row.get("phrase") or "").strip()
    if role not in ROLES:
        raise ValueError(
            f"{path.name} dòng {line}: vai trò '{role}' không hợp lệ / "
            f"line {line}: unknown role '{role}' (one of {', '.join(ROLES)})"
        )
    if not phrase or (role == CUE and not code):
        raise ValueError(
            f"{path.name} dòng {line}: thiếu cụm từ hoặc mã chỉ tiêu / "
            f"line {line}: a phrase (and for a cue, an indicator code) is required"
        )
    if role == NOT_FIGURE and FIGURE_SLOT not in phrase:
        raise ValueError(
            f"{path.name} dòng {line}: cụm từ not_figure phải có '...' chỗ con số / "
            f"line {line}: a not_figure phrase marks its number with '...'"
        )
    units = tuple(fold(word) for word in (row.get("unit_words") or "").split("|") if word.strip())
    confidence_text = (row.get("confidence") or "").strip()
    return Phrasing(
        role=role,
        indicator_code=code,
        phrase=phrase,
        unit_words=units,
        confidence=float(confidence_text) if confidence_text else 0.85,
        note=(row.get("note") or "").strip(),
    )


def read_phrasings(path: Path | str) -> Phrasings:
    """The seed at ``path`` (no caching); a malformed row fails with its line number."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = tuple(
            _phrasing_from_row(row, line, path)
            for line, row in enumerate(csv.DictReader(handle), start=2)
        )
    return Phrasings(rows, source=str(path))


@lru_cache(maxsize=8)
def _cached_phrasings(path: Path, modified_ns: int) -> Phrasings:
    return read_phrasings(path)


def load_phrasings(path: Path | str = NARRATIVE_PHRASINGS_CSV) -> Phrasings:
    """The phrasings at ``path``, cached until the file changes."""
    resolved = Path(path).resolve()
    return _cached_phrasings(resolved, resolved.stat().st_mtime_ns)
