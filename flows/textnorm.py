"""Vietnamese text normalisation for matching labels, names and values.

Clerks' spreadsheets mix Unicode NFC and NFD, two conventions of tone placement
(``Hoà``/``Hòa``, ``thuý``/``thúy``), non-breaking and zero-width spaces. Everything
that compares text goes through :func:`normalize_text` (the canonical display form)
or :func:`fold` (a lowercase, diacritic-free key). The original text is always kept
elsewhere for provenance; these functions never replace it.

Legacy 8-bit encodings (TCVN3/ABC ``.VnTime``, VNI) are not decoded yet: the
extension point is :data:`LEGACY_DECODERS`, consulted by :func:`repair_legacy_encoding`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Combining marks that carry a Vietnamese tone; the others (circumflex, breve, horn)
# shape the vowel and never move.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

# Spaces Word/Excel leave behind: NBSP, narrow NBSP, figure space, ideographic
# space, and invisible zero-width characters. The soft hyphen U+00AD is kept: in
# TCVN3 mojibake it stands for "ư" ("Ph\u00adêng"), which a legacy decoder needs.
_SPACE_LIKE = re.compile(r"[\s\u00a0\u2007\u202f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_WORD = re.compile(r"\w+")

# A syllable ending in one of these vowel pairs (with no final consonant) takes
# the tone on the first vowel in the target form: hòa, hòe, thúy. After "q" the
# "u" belongs to the consonant ("quý", "quả"), so the rule does not apply there.
_MOVABLE_TONE_ENDING = re.compile(r"(?:^|[^q])(oa|oe|uy)$")

LegacyDecoder = Callable[[str], "str | None"]

# Extension point for TCVN3/VNI mojibake ("Ph­êng Phæ Hßa"): each decoder returns
# the repaired Unicode text, or None when the text does not look like its encoding.
LEGACY_DECODERS: list[LegacyDecoder] = []


def repair_legacy_encoding(text: str) -> str:
    """Text decoded from a legacy 8-bit font encoding, or the text unchanged.

    No decoder is registered yet; append one to :data:`LEGACY_DECODERS` to enable it.
    """
    for decoder in LEGACY_DECODERS:
        repaired = decoder(text)
        if repaired is not None:
            return repaired
    return text


def collapse_spaces(text: str) -> str:
    """Drop invisible characters, turn every run of space-like characters into one space."""
    return _SPACE_LIKE.sub(" ", _INVISIBLE.sub("", text)).strip()


def _split_tone(char: str) -> tuple[str, str | None]:
    """A precomposed character without its tone mark, and the tone mark (or None)."""
    decomposed = unicodedata.normalize("NFD", char)
    tone = next((mark for mark in decomposed if mark in TONE_MARKS), None)
    if tone is None:
        return char, None
    bare = "".join(mark for mark in decomposed if mark not in TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tone


def _unify_syllable_tone(match: re.Match[str]) -> str:
    """One word with its tone on the vowel the target convention chooses."""
    word = match.group(0)
    bare_chars: list[str] = []
    tone: str | None = None
    tone_index = -1
    for index, char in enumerate(word):
        bare, char_tone = _split_tone(char)
        bare_chars.append(bare)
        if char_tone is not None and tone is None:
            tone, tone_index = char_tone, index
    if tone is None:
        return word
    if _MOVABLE_TONE_ENDING.search("".join(bare_chars).lower()):
        tone_index = len(bare_chars) - 2
    bare_chars[tone_index] = unicodedata.normalize("NFC", bare_chars[tone_index] + tone)
    return "".join(bare_chars)


def unify_tone_placement(text: str) -> str:
    """Move tones of ``oa``/``oe``/``uy`` endings onto the first vowel: Hoà→Hòa, thuý→thúy."""
    return _WORD.sub(_unify_syllable_tone, unicodedata.normalize("NFC", text))


def normalize_text(text: object) -> str:
    """The canonical form of a cell's text: NFC, tidy spaces, unified tone placement.

    Non-text input (numbers, None) is converted with ``str`` first; None gives ``''``.
    """
    if text is None:
        return ""
    return _normalize_str(text if isinstance(text, str) else str(text))


# Spreadsheets repeat the same labels, names and units on every sheet: caching the
# normal form makes parsing a night's files several times faster.
@lru_cache(maxsize=65536)
def _normalize_str(text: str) -> str:
    repaired = repair_legacy_encoding(unicodedata.normalize("NFC", text))
    return unify_tone_placement(collapse_spaces(repaired))


def strip_diacritics(text: str) -> str:
    """Text without any combining mark, with đ/Đ turned into d/D."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("đ", "d").replace("Đ", "D")


def fold(text: object) -> str:
    """Matching key: normalised, lowercase, without diacritics, spaces collapsed."""
    if text is None:
        return ""
    return _fold_str(text if isinstance(text, str) else str(text))


@lru_cache(maxsize=65536)
def _fold_str(text: str) -> str:
    return collapse_spaces(strip_diacritics(_normalize_str(text)).lower())


def fold_words(text: object) -> str:
    """Like :func:`fold`, with punctuation also turned into spaces (for label matching)."""
    return collapse_spaces(re.sub(r"[^\w%]+", " ", fold(text)))
