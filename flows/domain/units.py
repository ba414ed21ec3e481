"""Which administrative unit a sheet is about.

A sheet names its unit by GSO code, by name with district and province, or both.
Codes overlap between the pre-2025 and 2025 schemes, so the sheet's period says
which scheme to try first and the name (when given) decides between them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from flows.domain.reference import PRE2025, SCHEME_2025, Reference
from flows.domain.textnorm import fold

_UNIT_TYPE_PREFIXES = ("thi tran", "phuong", "xa", "dac khu")
_PARENT_TYPE_PREFIXES = ("thanh pho", "thi xa", "huyen", "quan", "tinh", "tp.", "tp")


class UnitNotResolved(Exception):
    """The sheet's unit matches no unit, or several: the submission is rejected."""

    def __init__(self, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.reason_vi = reason_vi
        self.reason_en = reason_en


def _strip_prefix(folded: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :].strip()
    return folded


def bare_name(text: str | None, prefixes: tuple[str, ...] = _UNIT_TYPE_PREFIXES) -> str:
    """Folded name without its unit type: 'Phường Phổ Hoà' → 'pho hoa'."""
    return _strip_prefix(fold(text or ""), prefixes)


def schemes_for_period(period_code: str | None) -> list[str]:
    """Schemes a unit reporting for this period may belong to, most likely first.

    The reorganisation took effect on 1 July 2025: periods wholly before it use
    pre-2025 units, periods after it the 2025 units, and periods spanning it
    (the year 2025, the 2020-2025 term) either.
    """
    if not period_code:
        return [PRE2025, SCHEME_2025]
    if match := re.fullmatch(r"(\d{4})-Q([1-4])", period_code):
        year, quarter = int(match[1]), int(match[2])
        last_month = 3 * quarter
    elif match := re.fullmatch(r"(\d{4})-H([12])", period_code):
        year, last_month = int(match[1]), 6 * int(match[2])
    elif match := re.fullmatch(r"(\d{4})", period_code):
        year, last_month = int(match[1]), 12
    elif match := re.fullmatch(r"(\d{4})-(\d{4})(-MID)?", period_code):
        start, end = int(match[1]), int(match[2])
        year, last_month = (start + 3, 12) if match[3] else (end, 12)
    else:
        return [PRE2025, SCHEME_2025]
    if year < 2025 or (year == 2025 and last_month <= 6):
        return [PRE2025]
    if year == 2025 and last_month == 12 and period_code != "2025-H2":
        return [PRE2025, SCHEME_2025]
    return [SCHEME_2025]


@dataclass(frozen=True)
class _Ward:
    unit_key: str
    scheme: str
    code: str
    name: str
    bare: str
    district_bare: str
    province_bare: str
    district_name: str
    province_name: str


class UnitResolver:
    """Resolves a sheet's unit code or name to a ``unit_key`` of the right scheme."""

    def __init__(self, reference: Reference) -> None:
        units = reference.admin_units
        names = dict(zip(units["unit_key"], units["unit_name"], strict=True))
        wards = units[units["level"] == "ward"]
        self._by_code: dict[tuple[str, str], _Ward] = {}
        self._by_name: dict[tuple[str, str], list[_Ward]] = defaultdict(list)
        # Plain lists, not itertuples (pandas boxes every value); a district or province
        # is the parent of many wards, so its names are worked out once per key.
        parent_names: dict[object, tuple[str, str]] = {}

        def parent(key: object) -> tuple[str, str]:
            if key not in parent_names:
                name = _parent_name(names, key)
                parent_names[key] = (name, bare_name(name, _PARENT_TYPE_PREFIXES))
            return parent_names[key]

        columns = (
            wards[column].tolist()
            for column in (
                "unit_key",
                "scheme",
                "unit_code",
                "unit_name",
                "district_key",
                "province_key",
            )
        )
        for key, scheme, code, name, district_key, province_key in zip(*columns, strict=True):
            district_name, district_bare = parent(district_key)
            province_name, province_bare = parent(province_key)
            ward = _Ward(
                unit_key=key,
                scheme=scheme,
                code=code,
                name=name,
                bare=bare_name(name),
                district_bare=district_bare,
                province_bare=province_bare,
                district_name=district_name,
                province_name=province_name,
            )
            self._by_code[(scheme, code)] = ward
            self._by_name[(scheme, ward.bare)].append(ward)

    def resolve(
        self,
        code: str | None,
        name: str | None,
        district: str | None = None,
        province: str | None = None,
        period_code: str | None = None,
    ) -> str:
        """The unit_key of the sheet's ward, or :class:`UnitNotResolved` saying why."""
        schemes = schemes_for_period(period_code)
        code = (code or "").strip()
        if code:
            return self._by_code_and_name(code, name, schemes)
        if name:
            return self._by_name_only(name, district, province, schemes)
        raise UnitNotResolved(
            "Không có mã đơn vị hay tên đơn vị trên trang tính; hãy điền 'Mã đơn vị' (mã 5 số "
            "của Tổng cục Thống kê) hoặc 'Đơn vị'.",
            "The sheet gives neither a unit code nor a unit name; fill in 'Mã đơn vị' "
            "(the 5-digit GSO code) or 'Đơn vị'.",
        )

    def _by_code_and_name(self, code: str, name: str | None, schemes: list[str]) -> str:
        code = code.zfill(5) if code.isdigit() else code
        found = [self._by_code[(s, code)] for s in schemes if (s, code) in self._by_code]
        if not found:
            raise UnitNotResolved(
                f"Mã đơn vị '{code}' không có trong danh mục đơn vị hành chính; hãy kiểm tra "
                "lại mã 5 số của phường/xã.",
                f"Unit code '{code}' is not in the administrative-unit list; check the "
                "ward's 5-digit code.",
            )
        if not name:
            return found[0].unit_key
        wanted = bare_name(name)
        for ward in found:
            if ward.bare == wanted:
                return ward.unit_key
        known = ", ".join(f"{w.name} ({w.scheme})" for w in found)
        raise UnitNotResolved(
            f"Mã đơn vị '{code}' là {known}, không khớp với tên '{name}'; hãy sửa mã hoặc tên.",
            f"Unit code '{code}' is {known}, which does not match the name '{name}'; "
            "correct the code or the name.",
        )

    def _by_name_only(
        self, name: str, district: str | None, province: str | None, schemes: list[str]
    ) -> str:
        wanted = bare_name(name)
        same_name = [w for s in schemes for w in self._by_name.get((s, wanted), [])]
        candidates = [w for w in same_name if _same_type(w, name)] or same_name
        if district:
            district_bare = bare_name(district, _PARENT_TYPE_PREFIXES)
            candidates = [w for w in candidates if w.district_bare == district_bare]
        if province:
            province_bare = bare_name(province, _PARENT_TYPE_PREFIXES)
            candidates = [w for w in candidates if w.province_bare == province_bare]
        if len(candidates) == 1:
            return candidates[0].unit_key
        where = ", ".join(filter(None, [name, district, province]))
        if not candidates:
            elsewhere = _listed(same_name)
            hint_vi = f" Cùng tên ở nơi khác: {elsewhere}." if same_name else ""
            hint_en = f" Units of that name elsewhere: {elsewhere}." if same_name else ""
            raise UnitNotResolved(
                f"Không tìm thấy đơn vị '{where}' trong danh mục.{hint_vi} "
                "Hãy ghi 'Mã đơn vị' (mã 5 số).",
                f"No unit '{where}' in the administrative-unit list.{hint_en} "
                "Add 'Mã đơn vị' (the 5-digit code).",
            )
        listed = _listed(candidates)
        raise UnitNotResolved(
            f"Tên '{where}' khớp với nhiều đơn vị ({listed}); "
            "hãy ghi 'Mã đơn vị' hoặc huyện, tỉnh.",
            f"The name '{where}' matches several units ({listed}); add 'Mã đơn vị' or the "
            "district and province.",
        )


MAX_LISTED_CANDIDATES = 10


def _same_type(ward: _Ward, written: str) -> bool:
    """A name written with its type ('Xã Tân Lập') does not match a 'Phường Tân Lập'."""
    written_folded = fold(written)
    written_type = next((t for t in _UNIT_TYPE_PREFIXES if written_folded.startswith(t + " ")), "")
    return not written_type or fold(ward.name).startswith(written_type + " ")


def _listed(wards: list[_Ward]) -> str:
    """'27820 Xã Tân Lập (Huyện Mộc Hóa, Tỉnh Long An); …', cut at a readable length."""
    shown = "; ".join(
        f"{w.code} {w.name} ({', '.join(filter(None, [w.district_name, w.province_name]))})"
        for w in wards[:MAX_LISTED_CANDIDATES]
    )
    more = len(wards) - MAX_LISTED_CANDIDATES
    return shown + (f"; +{more}" if more > 0 else "")


def _parent_name(names: dict[str, str], key: object) -> str:
    if not isinstance(key, str) or pd.isna(key):
        return ""
    return names.get(key, "")
