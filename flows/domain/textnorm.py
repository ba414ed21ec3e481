"""Vietnamese text normalisation for matching labels, names and values.

Clerks' spreadsheets mix Unicode NFC and NFD, two conventions of tone placement
(``Hoà``/``Hòa``, ``thuý``/``thúy``), non-breaking and zero-width spaces. Everything
that compares text goes through :func:`normalize_text` (the canonical display form)
or :func:`fold` (a lowercase, diacritic-free key). The original text is always kept
elsewhere for provenance; these functions never replace it.

Legacy 8-bit font encodings are detected and decoded (tables at the end of this
module): TCVN3/ABC (``.VnTime`` fonts, ``Ph\u00adêng Phæ Hßa``) and VNI
(``Phöôøng Phoå Hoøa``). The decoders are registered in :data:`LEGACY_DECODERS` at
import time, before anything is cached, and :func:`repair_legacy_encoding` consults them,
one text at a time. A whole sheet's encoding is decided once from all its texts by
:func:`legacy_encoding_of`, and :func:`repair_as` repairs each of its texts accordingly.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import filterfalse

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

    The first decoder of :data:`LEGACY_DECODERS` that recognises the text wins.
    Unicode Vietnamese and plain ASCII are never changed.
    """
    for decoder in LEGACY_DECODERS:
        repaired = decoder(text)
        if repaired is not None:
            return repaired
    return text


def collapse_spaces(text: str) -> str:
    """Drop invisible characters, turn every run of space-like characters into one space."""
    return _SPACE_LIKE.sub(" ", _INVISIBLE.sub("", text)).strip()


# Pure functions of a character and of a word: the same few hundred characters and
# syllables make up every name, so a cold start (a new process folding ten thousand
# unit names) pays for each only once.
@lru_cache(maxsize=4096)
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
    return _unify_word_tone(match.group(0))


@lru_cache(maxsize=65536)
def _unify_word_tone(word: str) -> str:
    """See :func:`_unify_syllable_tone`."""
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
    if repaired.isascii():
        return collapse_spaces(repaired)  # ASCII has no tone to place
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
    normal = _normalize_str(text)
    if normal.isascii():
        # ASCII has no diacritics to strip, and its spaces are collapsed already.
        return normal.lower()
    return collapse_spaces(strip_diacritics(normal).lower())


def fold_words(text: object) -> str:
    """Like :func:`fold`, with punctuation also turned into spaces (for label matching)."""
    return collapse_spaces(re.sub(r"[^\w%]+", " ", fold(text)))


# ------------------------------------------------------------------ legacy font encodings
#
# Before Unicode, Vietnamese offices typed with 8-bit fonts: the keyboard driver sent
# bytes that only the font drew as Vietnamese letters. Excel stores those bytes as the
# Windows-1252 characters they are, so a cell typed in .VnTime shows "Ph\u00adêng Phæ
# Hßa" anywhere else. Both tables below are built from the Vietnamese alphabet, so an
# encoder (for test fixtures) and the decoder can never disagree.

# Tones in the order the TCVN3 table lists them: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_ORDER = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_BASE_VOWELS = "aăâeêioôơuưy"

# TCVN 5712:1993 (VN3, the "ABC" fonts .VnTime/.VnArial): one byte per lowercase
# letter, tones in _TONE_ORDER; None where the letter is plain ASCII.
_TCVN3_VOWEL_CODES: dict[str, tuple[int | None, ...]] = {
    "a": (None, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (None, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (None, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (None, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (None, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (None, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
# The only capitals the normal font has; toned capitals need the .VnTimeH font, which
# draws the lowercase codes as capitals, so their bytes are the lowercase ones.
_TCVN3_OTHER_CODES = {
    "đ": 0xAE,
    "Ă": 0xA1,
    "Â": 0xA2,
    "Ê": 0xA3,
    "Ô": 0xA4,
    "Ơ": 0xA5,
    "Ư": 0xA6,
    "Đ": 0xA7,
}

# VNI Windows: a base letter followed by mark characters; ơ, ư, đ and the toned i
# and ỵ have characters of their own. Capitals use the capital forms of every part.
_VNI_TONE_MARKS = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRCUMFLEX = dict(zip(_TONE_ORDER, "âàåãáä", strict=True))
_VNI_BREVE = dict(zip(_TONE_ORDER, "êèúüéë", strict=True))
_VNI_TONED_I = dict(zip(_TONE_ORDER[1:], "ìæóíò", strict=True))
_VNI_OWN_LETTERS = {"ơ": "ô", "ư": "ö", "đ": "ñ"}


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def _vietnamese_lowercase_letters() -> list[str]:
    """Every lowercase Vietnamese letter outside ASCII: toned vowels, â ă ê ô ơ ư, đ."""
    letters = [_with_tone(base, tone) for base in _BASE_VOWELS for tone in _TONE_ORDER]
    return [letter for letter in letters if not letter.isascii()] + ["đ"]


_VIETNAMESE_LETTERS = _vietnamese_lowercase_letters()
_VIETNAMESE_LETTER_SET = frozenset(_VIETNAMESE_LETTERS) | {
    letter.upper() for letter in _VIETNAMESE_LETTERS
}


def _tcvn3_tables() -> tuple[dict[str, str], dict[int, str]]:
    """(Unicode letter → TCVN3 character, TCVN3 character ordinal → Unicode letter)."""
    encode: dict[str, str] = {}
    for base, codes in _TCVN3_VOWEL_CODES.items():
        for tone, code in zip(_TONE_ORDER, codes, strict=True):
            if code is not None:
                letter = _with_tone(base, tone)
                encode[letter] = chr(code)
                encode.setdefault(letter.upper(), chr(code))  # a .VnTimeH capital
    for letter, code in _TCVN3_OTHER_CODES.items():
        encode[letter] = chr(code)
    decode = {ord(char): letter for letter, char in encode.items() if letter.islower()}
    decode.update({code: letter for letter, code in _TCVN3_OTHER_CODES.items()})
    return encode, decode


def _vni_lowercase(letter: str) -> str:
    """The VNI keystrokes of one lowercase Vietnamese letter."""
    decomposed = unicodedata.normalize("NFD", letter)
    tone = next((mark for mark in decomposed if mark in TONE_MARKS), "")
    base = unicodedata.normalize("NFC", decomposed.replace(tone, "")) if tone else letter
    if letter == "ỵ":
        return "î"
    if base in "âêô":
        return strip_diacritics(base) + _VNI_CIRCUMFLEX[tone]
    if base == "ă":
        return "a" + _VNI_BREVE[tone]
    if base == "i" and tone:
        return _VNI_TONED_I[tone]
    return _VNI_OWN_LETTERS.get(base, base) + _VNI_TONE_MARKS.get(tone, "")


def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(Unicode letter → VNI keystrokes, VNI keystrokes → Unicode letter)."""
    encode: dict[str, str] = {}
    decode: dict[str, str] = {}
    for letter in _VIETNAMESE_LETTERS:
        lower = _vni_lowercase(letter)
        upper = lower.upper()
        encode[letter], encode[letter.upper()] = lower, upper
        # Clerks capitalise the first keystroke only as often as all of them.
        for keys, decoded in ((lower, letter), (upper, letter.upper())):
            decode[keys] = decoded
        decode.setdefault(upper[0] + lower[1:], letter.upper())
    return encode, {keys: letter for keys, letter in decode.items() if keys != letter}


_TCVN3_ENCODE, _TCVN3_DECODE = _tcvn3_tables()
_VNI_ENCODE, _VNI_DECODE = _vni_tables()
_VNI_SEQUENCE = re.compile(
    "|".join(re.escape(keys) for keys in sorted(_VNI_DECODE, key=len, reverse=True))
)


def encode_tcvn3(text: str) -> str:
    """Unicode Vietnamese as a TCVN3 (.VnTime) cell shows it: ``Phường`` → ``Ph\\u00adêng``.

    Toned capitals have no code of their own and come out as the lowercase code, as
    typed with the .VnTimeH capital font. Used to build test fixtures.
    """
    return "".join(_TCVN3_ENCODE.get(char, char) for char in unicodedata.normalize("NFC", text))


def encode_vni(text: str) -> str:
    """Unicode Vietnamese as a VNI-Windows cell shows it: ``Phường`` → ``Phöôøng``."""
    return "".join(_VNI_ENCODE.get(char, char) for char in unicodedata.normalize("NFC", text))


# Characters Excel can hold for text typed with an 8-bit font: Windows-1252.
_CP1252_EXTRAS = bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore")
_BEYOND_CP1252 = re.compile("[^\x00-\xff" + re.escape(_CP1252_EXTRAS) + "]")

# A syllable without its tone: onset, a vowel group Vietnamese has, and a final
# consonant only after a group that can take one. Onsets and finals also admit the
# spellings of minority-language place names (Krông, Đăk, Jơ Ngây, Zà Hung, Vàl).
# Words without any vowel are abbreviations (ĐVT, HĐND, đ/c).
_OPEN_NUCLEI = (
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu "
    "iêu oai oao oay oeo uây uôi uya uyu ươi ươu yêu"
)
_CLOSABLE_NUCLEI = "a ă â e ê i o ô ơ u ư y iê oa oă oe uâ uê uô uơ uy ươ yê uyê êê ơơ"
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđfghjklmnprstvwxz]{1,2})?"
    rf"(?:(?:{'|'.join(_OPEN_NUCLEI.split())})"
    rf"|(?:{'|'.join(sorted(_CLOSABLE_NUCLEI.split(), key=len, reverse=True))})"
    r"(?:ch|ng|nh|[cmnptklrh])?|oo(?:ng|c))$"
)
_NO_VOWEL = re.compile(r"^[bcdđfghjklmnpqrstvwxz]+$")
_ACRONYM = re.compile(r"^[A-ZĐ]+$")  # ĐUV, HĐND: capitals without tones
# Letters only: superscript digits and fractions count as alphanumeric in Unicode, and a
# footnote marker glued to a word ("mới¹") must not make it a word no syllable spells.
_LETTERS = re.compile(r"[^\W\d_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]+")


def _is_vietnamese_word(word: str) -> bool:
    """True for a Vietnamese syllable with at most one tone, or an abbreviation."""
    if _ACRONYM.match(word):
        return True
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [mark for mark in decomposed if mark in TONE_MARKS]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return bool(_SYLLABLE.match(bare) or _NO_VOWEL.match(bare))


def _all_words_vietnamese(text: str) -> bool:
    """True when every word holding a non-ASCII letter reads as Vietnamese."""
    return all(word.isascii() or _is_vietnamese_word(word) for word in _LETTERS.findall(text))


def _evidence_pattern(code_chars: set[str], d_chars: str) -> re.Pattern[str]:
    """A word of two or more letters holding a character no Unicode Vietnamese text has.

    Letters of the legacy encoding that are also Vietnamese letters (``ò``, ``é``...)
    prove nothing: ``Hòa`` must stay ``Hòa``. A lone code character between digits
    (``10÷12``) proves nothing either. ``đ/c`` (``d_chars`` are the codes of đ, Đ) is
    the one short word that counts.
    """
    code_chars = {char for char in code_chars if not char.isascii()}
    letters = "A-Za-z" + re.escape("".join(sorted(code_chars)))
    telling = re.escape("".join(sorted(code_chars - _VIETNAMESE_LETTER_SET)))
    pattern = f"[{letters}][{telling}]|[{telling}][{letters}]|[{re.escape(d_chars)}]/[cC]"
    return re.compile(pattern)


_TCVN3_EVIDENCE = _evidence_pattern({chr(code) for code in _TCVN3_DECODE}, "®§")
# A letter outside ASCII that TCVN3 has no code for (``Í`` is 0xCD, unused): not TCVN3.
_NOT_TCVN3_LETTER = re.compile(
    "["
    + re.escape(
        "".join(
            char
            for char in bytes(range(0x80, 0x100)).decode("cp1252", errors="ignore")
            if char.isalpha() and ord(char) not in _TCVN3_DECODE
        )
    )
    + "]"
)
# VNI also shows itself by vowel pairs Vietnamese never writes: "aâ" (â), "aê" (ă),
# "eá" (ế), "aù" (á), "oõ" (õ); "uâ" (xuân) and "oà" (hoà) are Vietnamese and excluded.
_VNI_VOWEL_PAIRS = re.compile("[aeoAEO][âÂ]|[aA][êÊ]|[aeAE][àáãÀÁÃ]|[aeiouyAEIOUY][ùÙõÕ]")
_VNI_EVIDENCE = re.compile(
    _evidence_pattern({char for keys in _VNI_DECODE for char in keys}, "ñÑ").pattern
    + "|"
    + _VNI_VOWEL_PAIRS.pattern
)


def _may_be_legacy(text: str, evidence: re.Pattern[str] | None) -> bool:
    """Cheap checks first: ASCII and true Unicode text are never legacy text."""
    if text.isascii() or _BEYOND_CP1252.search(text):
        return False
    return evidence is None or evidence.search(text) is not None


def _is_capital_word(word: str) -> bool:
    """Two or more ASCII letters, all capitals, and a vowel: ``HßA``, ``§¶NG``, not ``§VHC``."""
    ascii_letters = [char for char in word if char.isascii()]
    return (
        len(ascii_letters) >= 2
        and all(char.isupper() for char in ascii_letters)
        and _NO_VOWEL.match(strip_diacritics(word).lower()) is None
    )


# Letters TCVN3 has a capital code for: their case is as typed, never guessed.
_OWN_CASE_LETTERS = frozenset("đăâêôơư")

# Second words of unit types, written in lowercase inside title-case names.
_UNIT_TYPE_TAILS = frozenset({"trấn", "xã", "phố"})


def _is_title_case(words: list[str]) -> bool:
    """A name in title case: every word starting with an ASCII letter starts with a capital
    (``Thị trấn Châu Ổ`` counts: the unit type keeps its lowercase second word)."""
    ascii_initials = [
        word[0] for word in words if word[0].isascii() and word not in _UNIT_TYPE_TAILS
    ]
    return len(ascii_initials) >= 2 and all(initial.isupper() for initial in ascii_initials)


def _restore_tcvn3_capitals(decoded: str) -> str:
    """Words typed with the .VnTimeH capital font back in capitals: ``ĐảNG`` → ``ĐẢNG``.

    That font draws lowercase codes as capitals, so a word whose ASCII letters are
    all capitals was a capital word: with two of them (``HßA``), when it starts with
    a toned vowel (``ñY`` = ``ỦY``), or with one capital between capital words
    (``§¶NG Bé HUYÖN``). ``Tæ dân`` stays ``Tổ dân``. In a title-case name, a word
    starting with a toned vowel takes a capital too (``X· ¸i Quèc`` = ``Xã Ái Quốc``).
    """
    words = list(_LETTERS.finditer(decoded))
    capital = [_is_capital_word(match.group(0)) for match in words]
    title_case = _is_title_case([match.group(0) for match in words])
    pieces, end = [], 0
    for index, match in enumerate(words):
        word = match.group(0)
        ascii_letters = [char for char in word if char.isascii()]
        neighbours = capital[max(index - 1, 0) : index] + capital[index + 1 : index + 2]
        upper = capital[index] or (
            ascii_letters
            and all(char.isupper() for char in ascii_letters)
            and (not word[0].isascii() or any(neighbours))
        )
        if upper:
            word = word.upper()
        elif title_case and not word[0].isascii() and word[0] not in _OWN_CASE_LETTERS:
            word = word[0].upper() + word[1:]  # "Xã ái Quốc" is "Xã Ái Quốc"
        pieces += [decoded[end : match.start()], word]
        end = match.end()
    return "".join([*pieces, decoded[end:]])


def decode_tcvn3(text: str, require_evidence: bool = True) -> str | None:
    """Unicode for text typed in a TCVN3 (ABC, .VnTime) font, or None when it is not that.

    With ``require_evidence`` (the default, used on every cell) the text must hold a
    character no Unicode Vietnamese has; without, only the decoded words are checked,
    for text already known to be TCVN3 (``Sè hé`` is ``Số hộ`` but could be Unicode).
    """
    evidence = _TCVN3_EVIDENCE if require_evidence else None
    if not _may_be_legacy(text, evidence) or _NOT_TCVN3_LETTER.search(text):
        return None
    decoded = text.translate(_TCVN3_DECODE)
    if not _all_words_vietnamese(decoded):
        return None
    return _restore_tcvn3_capitals(decoded)


def decode_vni(text: str, require_evidence: bool = True) -> str | None:
    """Unicode for text typed in a VNI font, or None when it is not that.

    ``require_evidence`` as for :func:`decode_tcvn3`.
    """
    if not _may_be_legacy(text, _VNI_EVIDENCE if require_evidence else None):
        return None
    decoded = _VNI_SEQUENCE.sub(lambda match: _VNI_DECODE[match.group(0)], text)
    if not _all_words_vietnamese(decoded):
        return None
    return unicodedata.normalize("NFC", decoded)


# Registered at import, before normalize_text or fold can cache anything.
LEGACY_DECODERS.extend([decode_tcvn3, decode_vni])


# ------------------------------------------------------------------ a whole sheet's encoding
#
# One text cannot always tell: "Néi dung" and "Sè hé" (Nội dung, Số hộ) hold only letters
# Unicode Vietnamese has too. A sheet is typed in one font, though, so its encoding is
# decided once from all its texts, and then every text of it is repaired the same way.

UNICODE = "unicode"
TCVN3 = "tcvn3"
VNI = "vni"
_DECODER_OF = {TCVN3: decode_tcvn3, VNI: decode_vni}
# What only Unicode Vietnamese holds: letters beyond Windows-1252 (ư, ộ, đ) and the
# combining marks of NFD text (tones, circumflex, breve, horn).
_UNICODE_ONLY = _VIETNAMESE_LETTER_SET | TONE_MARKS | frozenset("\u0302\u0306\u031b")


@lru_cache(maxsize=65536)
def text_encoding_evidence(text: str) -> str | None:
    """What one text says of its sheet's encoding: :data:`UNICODE` for Vietnamese letters
    no 8-bit font can show (``ư``, ``ộ``, ``đ``, NFD marks), :data:`TCVN3` or :data:`VNI`
    for text a legacy decoder recognises by a character no Unicode Vietnamese has, None
    when it says nothing (ASCII, ``≥ 95%``, ``Hòa``, ``Sè hé``)."""
    if text.isascii():
        return None
    # Looked at as typed: an NFD mark (U+0300...) is Unicode's own, whatever its letter.
    beyond = _BEYOND_CP1252.findall(text)
    if beyond:
        return UNICODE if any(char in _UNICODE_ONLY for char in beyond) else None
    for encoding, decoder in _DECODER_OF.items():  # in the order of LEGACY_DECODERS
        if decoder(text) is not None:
            return encoding
    return None


def legacy_encoding_of(cells: Iterable[object]) -> str | None:
    """:data:`TCVN3` or :data:`VNI` when most texts that tell are in that encoding, else None.

    A Unicode sheet (NFC or NFD) holding a stray legacy text stays Unicode: its many
    texts with letters no 8-bit font has outvote it. Cells other than text are passed over.
    """
    # Every cell of every sheet is looked at: filtered and counted without a Python loop.
    texts = filterfalse(str.isascii, filter(str.__instancecheck__, cells))
    votes = Counter(map(text_encoding_evidence, texts))
    legacy = max((TCVN3, VNI), key=votes.__getitem__)  # TCVN3 on a tie, as decoders run
    return legacy if votes[legacy] > votes[UNICODE] else None


def repair_as(text: str, encoding: str) -> str:
    """``text`` decoded from ``encoding`` (:data:`TCVN3` or :data:`VNI`) without asking the
    text itself for evidence; unchanged when it holds a character no 8-bit font types (an
    NFD mark, ``ư``) or does not decode into Vietnamese words."""
    repaired = _DECODER_OF[encoding](text, require_evidence=False)
    return text if repaired is None else repaired
