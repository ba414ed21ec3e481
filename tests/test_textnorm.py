"""Vietnamese text normalisation: NFC, spaces, tone placement, folding, legacy encodings
one text at a time and a whole sheet at once."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.textnorm import (
    LEGACY_DECODERS,
    collapse_spaces,
    decode_tcvn3,
    decode_vni,
    encode_tcvn3,
    encode_vni,
    fold,
    fold_words,
    legacy_encoding_of,
    normalize_text,
    repair_as,
    repair_legacy_encoding,
    strip_diacritics,
    text_encoding_evidence,
    unify_tone_placement,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hoà", "Hòa"),
        ("Phường Phổ Hoà", "Phường Phổ Hòa"),
        ("thuý", "thúy"),
        ("Thuỷ", "Thủy"),
        ("hoè", "hòe"),
        ("HOÀ", "HÒA"),
        ("văn hoá", "văn hóa"),
        ("khoẻ", "khỏe"),
        ("quý", "quý"),  # "qu" is a consonant: the tone stays on y
        ("quả", "quả"),
        ("hoàng", "hoàng"),  # a final consonant: the tone stays on a
        ("Hòa", "Hòa"),
        ("Nguyễn Nghiêm", "Nguyễn Nghiêm"),
    ],
)
def test_tone_placement_is_unified(text, expected):
    assert unify_tone_placement(text) == expected


def test_normalize_text_makes_nfc_and_collapses_spaces():
    decomposed = unicodedata.normalize("NFD", "Phường\u00a0 Phổ  Hoà\u200b ")
    assert normalize_text(decomposed) == "Phường Phổ Hòa"
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed))


def test_normalize_text_of_non_text():
    assert normalize_text(None) == ""
    assert normalize_text(21469) == "21469"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phường Phổ Hòa", "phuong pho hoa"),
        ("ĐẢNG ỦY", "dang uy"),
        ("  Tỷ lệ\u00a0hộ   nghèo ", "ty le ho ngheo"),
        ("Đơn vị tính", "don vi tinh"),
        ("Hoà", "hoa"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def test_fold_words_drops_punctuation_but_keeps_percent():
    assert fold_words("So với NQ (%)") == "so voi nq %"
    assert fold_words("Mã đơn vị:") == "ma don vi"


def test_collapse_spaces():
    assert collapse_spaces("a\t\u202fb\n c\ufeff") == "a b c"


def test_legacy_extension_point_is_consulted():
    assert LEGACY_DECODERS[:2] == [decode_tcvn3, decode_vni]
    assert repair_legacy_encoding("@@cu@@") == "@@cu@@"
    LEGACY_DECODERS.insert(0, lambda text: "Phường" if text == "@@cu@@" else None)
    try:
        assert repair_legacy_encoding("@@cu@@") == "Phường"
    finally:
        LEGACY_DECODERS.pop(0)


# ------------------------------------------------------------------ legacy font encodings


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        # TCVN3 (ABC, .VnTime), as Excel shows it with any other font
        ("Ph\u00adêng Phæ Hßa", "Phường Phổ Hòa"),
        ("§¶NG ñY PH¦êNG PHæ HßA", "ĐẢNG ỦY PHƯỜNG PHỔ HÒA"),
        ("ThÞ x· §øc Phæ", "Thị xã Đức Phổ"),
        ("Qu¶ng Ng·i", "Quảng Ngãi"),
        ("Kú b¸o c¸o: N¨m 2022", "Kỳ báo cáo: Năm 2022"),
        ("M· §VHC", "Mã ĐVHC"),
        ("98 ®/c", "98 đ/c"),
        ("Tû lÖ hé nghÌo", "Tỷ lệ hộ nghèo"),
        ("Céng hßa x· héi chñ nghÜa ViÖt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("X· ¸i Quèc", "Xã Ái Quốc"),
        # VNI, as Excel shows it with any other font
        ("Phöôøng Phoå Hoøa", "Phường Phổ Hòa"),
        ("ÑAÛNG UÛY PHÖÔØNG PHOÅ HOØA", "ĐẢNG ỦY PHƯỜNG PHỔ HÒA"),
        ("Thò xaõ Ñöùc Phoå", "Thị xã Đức Phổ"),
        ("Daân soá", "Dân số"),
        ("Tyû leä hoä ngheøo", "Tỷ lệ hộ nghèo"),
        ("Öôùc 2023", "Ước 2023"),
        ("98 ñ/c", "98 đ/c"),
    ],
)
def test_legacy_text_is_decoded(legacy, expected):
    assert repair_legacy_encoding(legacy) == expected
    assert normalize_text(legacy) == expected
    assert fold(legacy) == fold(expected)


@pytest.mark.parametrize(
    "text",
    [
        "Hòa",  # ò is ũ in TCVN3 and ị in VNI: Unicode must win
        "Tân Hòa",
        "Café ½",
        "10÷12%",
        "§ 2",
        "Müller Straße",
        "Brand®",
        "≥ 95%",
        "91,5",
        "Phường Phổ Hòa",
        "ĐVT",
    ],
)
def test_text_that_is_not_legacy_is_left_alone(text):
    assert repair_legacy_encoding(text) == text


def _catalog_and_unit_names() -> list[str]:
    from flows.domain.catalog import load_catalog
    from flows.domain.reference import load_reference

    units = load_reference().admin_units
    quang_ngai = units[units["province_key"].isin(["pre2025:51", "2025:51"])]["unit_name"]
    return [indicator.name_vi for indicator in load_catalog()] + list(quang_ngai)


# Capitals TCVN3 has a code for; other capitals (Ổ, Á...) are typed with the .VnTimeH
# font, which reuses the lowercase codes: the decoder can only guess their case.
_TCVN3_CAPITALS = set("ĂÂÊÔƠƯĐ")


def _tcvn3_representable(text: str) -> bool:
    return all(char.isascii() or not char.isupper() or char in _TCVN3_CAPITALS for char in text)


@pytest.fixture(scope="module")
def known_phrases() -> list[str]:
    return _catalog_and_unit_names()


def test_known_phrases_round_trip_through_tcvn3(known_phrases):
    assert len(known_phrases) > 300
    detected = 0
    for phrase in known_phrases:
        encoded = encode_tcvn3(phrase)
        decoded = decode_tcvn3(encoded, require_evidence=False)
        if _tcvn3_representable(phrase):
            assert decoded == phrase
        assert fold(decoded) == fold(phrase), phrase
        repaired = repair_legacy_encoding(encoded)
        assert repaired in (encoded, decoded)  # detected, or conservatively left alone
        detected += repaired == decoded
    # Only texts whose every letter is also a Unicode letter ("Sè hé") go undetected.
    assert detected >= 0.97 * len(known_phrases)


def test_known_phrases_round_trip_through_vni(known_phrases):
    detected = 0
    for phrase in known_phrases:
        encoded = encode_vni(phrase)
        assert decode_vni(encoded, require_evidence=False) == phrase
        repaired = repair_legacy_encoding(encoded)
        assert repaired in (encoded, phrase)
        detected += repaired == phrase
    assert detected >= 0.97 * len(known_phrases)


def test_known_phrases_are_left_alone_in_unicode(known_phrases):
    for phrase in known_phrases:
        assert repair_legacy_encoding(phrase) == phrase
        nfd = unicodedata.normalize("NFD", phrase)
        assert repair_legacy_encoding(nfd) == nfd


vietnamese_text = st.text(
    alphabet=st.sampled_from(list("aăâeêioôơuưyđAĂÂĐ HOUYhoquyàáảãạèéẻẽẹìíòóõọùúủũụỳýỷỹỵ \u00a0")),
    max_size=40,
)


@given(vietnamese_text)
def test_nfd_and_nfc_inputs_fold_the_same(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(vietnamese_text)
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(vietnamese_text)
def test_fold_is_ascii_lowercase_for_vietnamese_letters(text):
    folded = fold(text)
    assert folded == folded.lower()
    assert all(ord(char) < 128 for char in folded)


# Every Vietnamese letter, lowercase and capital, with the characters that sit between
# words in a spreadsheet: Unicode text built from these is never legacy text.
_VIETNAMESE_LETTERS = sorted(
    {
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưy"
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    }
    | set("bcdđghklmnpqrstvx")
)


def _real_vietnamese_words() -> list[str]:
    """Every word of the catalog's names and of Quảng Ngãi's unit names, as written."""
    from flows.domain.catalog import load_catalog
    from flows.domain.reference import load_reference

    units = load_reference().admin_units
    names = list(units.loc[units["unit_key"].str.startswith("pre2025:5"), "unit_name"])
    names += [i.name_vi for i in load_catalog()] + [a for i in load_catalog() for a in i.aliases_vi]
    return sorted({word for name in names for word in name.split()})


# Real words in any order: arbitrary strings of the alphabet can spell legacy byte
# sequences by chance ('OÕ' is VNI for 'Õ'), which no clerk's Unicode text does.
real_vietnamese_text = st.lists(
    st.sampled_from(_real_vietnamese_words()), min_size=1, max_size=10
).map(" ".join)


@given(real_vietnamese_text, st.sampled_from(["NFC", "NFD"]), st.sampled_from([" ", "\u00a0  "]))
def test_normalize_is_idempotent(text, form, spacing):
    # Real words, as typed in either Unicode form and with untidy spaces. Arbitrary letter
    # strings are not: 'Aàù' is tidied into 'Aàu', which then spells VNI's 'Ầu'.
    typed = unicodedata.normalize(form, text).replace(" ", spacing)
    assert normalize_text(normalize_text(typed)) == normalize_text(typed)


@given(real_vietnamese_text)
def test_unicode_vietnamese_is_never_repaired(text):
    nfc = unicodedata.normalize("NFC", text)
    assert repair_legacy_encoding(nfc) == nfc


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_is_never_repaired(text):
    assert repair_legacy_encoding(text) == text


_WORDS = (
    "Phường Phổ Hòa Đức Quảng Ngãi tỷ lệ hộ nghèo đảng viên tham gia học tập nghị quyết kết "
    "nạp mới chi bộ hoàn thành tự kiểm tra giám sát dân số trung bình bảo hiểm y tế gia đình "
    "văn hóa lao động qua đào tạo tổ phố vốn đầu tư xây dựng ngân sách cấp trên hỗ trợ ý "
    "kiến kiến nghị giải quyết người dự tiếp đối thoại mô hình khéo vận nhà đại đoàn kết "
    "thuở xoăn khuỷu quýt nguyễn nghiêm nhơn cường thuận"
)
_SYLLABLES = st.sampled_from(
    sorted({form for word in _WORDS.split(" ") for form in (word, word.capitalize())})
)


@given(st.lists(_SYLLABLES, min_size=1, max_size=8))
def test_vni_round_trips(words):
    text = " ".join(words)
    encoded = encode_vni(text)
    # A few short texts read as TCVN3 too ("Tö" is VNI "Tư" and TCVN3 "Tử"); TCVN3 wins.
    assert repair_legacy_encoding(encoded) in (text, encoded, decode_tcvn3(encoded))
    if decode_vni(encoded) is not None:
        assert decode_vni(encoded) == text


@given(st.lists(_SYLLABLES, min_size=1, max_size=8))
def test_tcvn3_round_trips_or_is_left_alone(words):
    text = " ".join(words)
    encoded = encode_tcvn3(text)
    repaired = repair_legacy_encoding(encoded)
    # Undetectable text ("Sè" could be Unicode) stays as typed; detected text is exact
    # up to the case of toned capitals, which TCVN3 cannot tell.
    assert repaired == encoded or repaired.lower() == text.lower()
    starts_toned = any(not word[0].isascii() and word[0] not in "đăâêôơư" for word in words)
    if _tcvn3_representable(text) and repaired != encoded and not starts_toned:
        assert repaired == text


@given(
    st.text(
        alphabet=st.one_of(st.characters(max_codepoint=127), st.sampled_from("\u00a0\u200b\u3000")),
        max_size=30,
    )
)
def test_ascii_text_takes_the_short_way_to_the_same_forms(text):
    # normalize_text and fold skip the tone placement and the diacritics for ASCII text.
    normal = unify_tone_placement(
        collapse_spaces(repair_legacy_encoding(unicodedata.normalize("NFC", text)))
    )
    assert normalize_text(text) == normal
    assert fold(text) == collapse_spaces(strip_diacritics(normal).lower())


# ------------------------------------------------------------------ a whole sheet's encoding


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Phường Phổ Hòa", "unicode"),  # ư, ờ, ổ: no 8-bit font shows them
        (unicodedata.normalize("NFD", "Tân Hòa"), "unicode"),  # combining marks
        ("Hòa", None),  # only letters Windows-1252 has: it cannot tell
        ("≥ 95%", None),
        ("91,5", None),
        (encode_tcvn3("Đơn vị tính"), "tcvn3"),
        (encode_tcvn3("Nội dung"), None),  # "Néi dung": too short to tell
        (encode_vni("Nội dung"), "vni"),
        (encode_vni("Phường Phổ Hòa"), "vni"),
    ],
)
def test_text_encoding_evidence(text, evidence):
    assert text_encoding_evidence(text) == evidence


def test_a_sheet_of_known_phrases_is_decided_by_its_encoding(known_phrases):
    assert legacy_encoding_of([encode_tcvn3(p) for p in known_phrases]) == "tcvn3"
    assert legacy_encoding_of([encode_vni(p) for p in known_phrases]) == "vni"
    for form in ("NFC", "NFD"):
        assert legacy_encoding_of([unicodedata.normalize(form, p) for p in known_phrases]) is None


def test_every_known_phrase_is_repaired_once_its_sheet_is_known(known_phrases):
    """Including the ones no single text gives away ("Sè hé" for "Số hộ")."""
    for phrase in known_phrases:
        assert fold(repair_as(encode_tcvn3(phrase), "tcvn3")) == fold(phrase), phrase
        assert repair_as(encode_vni(phrase), "vni") == phrase, phrase


@pytest.mark.parametrize(
    "cells",
    [
        [],
        [None, 1.0, "STT", "ĐVT"],  # nothing tells
        ["Hòa", "Tân Bình", "Phú Yên"],  # nothing tells: Windows-1252 letters only
    ],
)
def test_a_sheet_nothing_tells_about_is_not_legacy(cells):
    assert legacy_encoding_of(cells) is None


@given(
    st.lists(real_vietnamese_text, min_size=3, max_size=12),
    st.sampled_from(["NFC", "NFD"]),
    st.sampled_from(
        [encode_tcvn3("Số liệu ước tính"), encode_vni("Số liệu ước tính"), "Ph\u00adêng"]
    ),
)
def test_a_unicode_sheet_with_a_stray_legacy_text_stays_unicode(texts, form, stray):
    """The sheet's Unicode texts outvote a legacy text pasted into one cell; Unicode text
    with letters no 8-bit font has is never decoded, even under a legacy decision."""
    typed = [unicodedata.normalize(form, text) for text in texts]
    telling = [text for text in typed if text_encoding_evidence(text) == "unicode"]
    if len(telling) >= 1:
        assert legacy_encoding_of([*typed, stray]) is None
    for text in telling:
        assert repair_as(text, "tcvn3") == text and repair_as(text, "vni") == text


def test_a_text_that_is_no_legacy_text_is_left_as_typed():
    for encoding in ("tcvn3", "vni"):
        assert repair_as("21469", encoding) == "21469"
        assert repair_as("Müller Straße", encoding) == "Müller Straße"


@pytest.mark.parametrize("marker", ["¹", "²³", " ³"])
def test_a_superscript_marker_glued_to_a_legacy_word_is_no_part_of_it(marker):
    """ "mới¹" is the word "mới" and a marker: the text still decodes, marker kept."""
    text = "Kết nạp đảng viên mới"
    assert repair_legacy_encoding(encode_vni(text) + marker) == text + marker
    assert repair_as(encode_vni(text) + marker, "vni") == text + marker
