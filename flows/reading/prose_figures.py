"""The figures of a report's sentences: a number with its qualifier, fraction and unit.

"trên 300 triệu đồng", "130/130 ý kiến", "(08/08 chi bộ hoàn thành)", "91,5%",
"1.117.213.000 đồng", "217.213.000đ", "1,1 tỷ đồng", "15 tỉ đồng", "16 tỷ 434 triệu": each
is read on folded text (:func:`flows.reading.phrasings.aligned_fold`) into a
:class:`Figure`: where it stands, its qualifier folded ("tren", "hon", "duoi", "khoang"),
its whole, the class of its unit (percent, money, people, "chi bo", "y kien", "ho", ...;
None for a bare number, :data:`OTHER_UNIT` for a noun no indicator counts), and whether a
"tăng"/"giảm" before it makes it a change rather than a level. :func:`figure_value` reads
the number the way the project reads cells (:func:`flows.domain.values.parse_number_text`):
"1.117" is a thousand and more for a count, "91,5" a decimal for a percent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.domain.values import parse_number_text
from flows.reading.phrasings import MONEY, PERCENT, UNIT_WORDS

OTHER_UNIT = "other"  # a noun after the number no indicator counts ("03 nhiệm vụ")

_NUMBER = re.compile(r"(?<![\w.,/])\d+(?:[.,]\d+)*")
_FRACTION_TAIL = re.compile(r"\s*/\s*(\d+(?:[.,]\d+)*)(?![\d/])")
_QUALIFIERS = (
    (re.compile(r"(?:(?<![\w])tren|>=|≥|>)\s*$"), "tren"),
    (re.compile(r"(?<![\w])hon\s*$"), "hon"),
    (re.compile(r"(?:(?<![\w])duoi|<=|≤|<)\s*$"), "duoi"),
    (re.compile(r"(?:(?<![\w])(?:khoang|gan|xap xi)|~|≈)\s*$"), "khoang"),
)
_CHANGE_BEFORE = re.compile(r"(?<![\w])(?:tang|giam)(?: them| di)?\s*$")
_PERCENT_SIGN = re.compile(r"\s*%")
_MAGNITUDES = {"ty": 1e9, "ti": 1e9, "trieu": 1e6, "tr": 1e6, "nghin": 1e3, "ngan": 1e3}
_MAGNITUDE = re.compile(r"\s*(ty|ti|trieu|tr|nghin|ngan)(?![\w])")
_MAGNITUDE_NEXT = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(trieu|tr|nghin|ngan)(?![\w])")
_MONEY_WORD = re.compile(r"\s*(dong|vnd|d)(?![\w/])")
_UNIT_WORD = re.compile(
    r"\s*("
    + "|".join(
        re.escape(word)
        for word in sorted((w for ws in UNIT_WORDS.values() for w in ws), key=len, reverse=True)
    )
    + r")(?![\w])"
)
_CLASS_OF_WORD = {word: unit for unit, words in UNIT_WORDS.items() for word in words}
_BARE_FOLLOWER = re.compile(r"\s*(?:$|[,.;:)(\]]|(?:va|trong|dat|chiem|bang|so voi)(?![\w]))")


@dataclass
class Figure:
    """A number of a text with what goes with it; positions are in the text."""

    start: int  # the qualifier's start, or the number's
    number_start: int
    number_end: int  # after the number and its fraction
    end: int  # after the unit
    number_text: str  # the number as written ("1.117.213.000", "91,5")
    denominator: float | None  # the whole of "130/130"
    qualifier: str  # folded: "tren", "hon", "duoi", "khoang", or ''
    unit_class: str | None  # PERCENT, MONEY, PEOPLE, "chi bo", ...; None bare; OTHER_UNIT
    unit_word: str | None  # the unit as written, folded ("dong chi", "%", "trieu dong")
    magnitude: float = 1.0  # 1e6 for "triệu", 1e9 for "tỷ"
    next_term: tuple[str, float] | None = None  # the "434 triệu" of "16 tỷ 434 triệu"
    change: bool = False  # after "tăng"/"giảm": a change, not a level


def _read_unit(folded: str, position: int) -> tuple[int, str | None, str | None, float]:
    """(end, unit class, unit word, magnitude) of what follows a number at ``position``."""
    if match := _PERCENT_SIGN.match(folded, position):
        return match.end(), PERCENT, "%", 1.0
    if match := _MAGNITUDE.match(folded, position):
        end, magnitude = match.end(), _MAGNITUDES[match.group(1)]
        word = match.group(1)
        if money := _MONEY_WORD.match(folded, end):
            end, word = money.end(), f"{word} {money.group(1)}"
        return end, MONEY, word, magnitude
    if match := _UNIT_WORD.match(folded, position):  # before money: "đồng chí" is no "đồng"
        word = match.group(1)
        return match.end(), _CLASS_OF_WORD[word], word, 1.0
    if match := _MONEY_WORD.match(folded, position):
        return match.end(), MONEY, match.group(1), 1.0
    if _BARE_FOLLOWER.match(folded, position):
        return position, None, None, 1.0
    return position, OTHER_UNIT, None, 1.0


def read_figures(folded: str, masked: list[tuple[int, int]]) -> list[Figure]:
    """Every number of a block's folded text that is not a reference, with what goes with it."""
    figures: list[Figure] = []
    for match in _NUMBER.finditer(folded):
        start, end = match.span()
        if any(s < end and start < e for s, e in masked):
            continue
        if figures and start < figures[-1].end:
            continue  # the "434" of "16 tỷ 434 triệu": part of the figure before
        denominator = None
        if fraction := _FRACTION_TAIL.match(folded, end):
            denominator = parse_number_text(fraction.group(1), whole_numbers=True)
            end = fraction.end()
        unit_end, unit_class, unit_word, magnitude = _read_unit(folded, end)
        next_term = None
        if (
            unit_class == MONEY
            and magnitude > 1
            and (more := _MAGNITUDE_NEXT.match(folded, unit_end))
        ):
            # "16 tỷ 434 triệu đồng": the next term belongs to the same figure.
            next_term = (more.group(1), _MAGNITUDES[more.group(2)])
            unit_end = more.end()
            if money := _MONEY_WORD.match(folded, unit_end):
                unit_end = money.end()
        before = folded[max(0, start - 12) : start]
        qualifier, figure_start = "", start
        for pattern, name in _QUALIFIERS:
            if said := pattern.search(before):
                qualifier, figure_start = name, start - len(said.group(0))
                break
        change = bool(_CHANGE_BEFORE.search(folded[max(0, figure_start - 12) : figure_start]))
        figures.append(
            Figure(
                start=figure_start,
                number_start=start,
                number_end=end,
                end=unit_end,
                number_text=match.group(0),
                denominator=denominator,
                qualifier=qualifier,
                unit_class=unit_class,
                unit_word=unit_word,
                magnitude=magnitude,
                next_term=next_term,
                change=change,
            )
        )
    return figures


def figure_value(figure: Figure) -> float | None:
    """The figure's number: a percent or a magnitude reads a decimal comma, a count does not."""
    whole = figure.unit_class != PERCENT and figure.magnitude == 1.0
    number = parse_number_text(figure.number_text, whole_numbers=whole)
    if number is None:
        return None
    total = number * figure.magnitude
    if figure.next_term is not None:
        text, magnitude = figure.next_term
        extra = parse_number_text(text, whole_numbers=False)
        if extra is None:
            return None
        total += extra * magnitude
    if figure.unit_class not in (PERCENT, MONEY) and not float(total).is_integer():
        return None  # a count is whole: "1,5 người" is no count
    return round(total, 6)
