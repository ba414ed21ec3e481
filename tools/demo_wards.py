"""The demo's wards: who reports, what each one's clerk does differently, and the truth.

The numbers every ward reports for every year and the style of its clerk, apart from the
sheet writer (:mod:`tools.demo_sheets`) and the files (:mod:`tools.demo`), which both use them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from flows.domain.textnorm import fold

DISTRICT_TYPE, DISTRICT_NAME = "Thị xã", "Đức Phổ"
PROVINCE_NAME = "Quảng Ngãi"
NON_REPORTING_UNIT_CODES = ("21475", "21478", "21481")


@dataclass(frozen=True)
class Ward:
    """A reporting ward of the demo."""

    code: str
    unit_type: str
    short_name: str

    @property
    def name(self) -> str:
        return f"{self.unit_type} {self.short_name}"

    @property
    def slug(self) -> str:
        return fold(self.short_name).replace(" ", "-")


WARDS: tuple[Ward, ...] = (
    Ward("21439", "Phường", "Nguyễn Nghiêm"),
    Ward("21442", "Xã", "Phổ An"),
    Ward("21445", "Xã", "Phổ Phong"),
    Ward("21448", "Xã", "Phổ Thuận"),
    Ward("21451", "Phường", "Phổ Văn"),
    Ward("21454", "Phường", "Phổ Quang"),
    Ward("21457", "Xã", "Phổ Nhơn"),
    Ward("21460", "Phường", "Phổ Ninh"),
    Ward("21463", "Phường", "Phổ Minh"),
    Ward("21466", "Phường", "Phổ Vinh"),
    Ward("21469", "Phường", "Phổ Hòa"),
    Ward("21472", "Xã", "Phổ Cường"),
)
RESUBMITTING_WARD = "21469"
HIDDEN_SHEET_WARD = "21442"
NOTES_SHEET_WARD = "21445"
UNMAPPED_ROW_WARDS = ("21442", "21457")
BLANK_DASH_WARDS = ("21448", "21463")
MILLION_UNIT_WARDS = ("21451", "21466")
NFD_NAME_WARDS = ("21454",)
APPROXIMATE_WARD, APPROXIMATE_INDICATOR = "21460", "DV.NGUOI_DU_DOI_THOAI"
YEARS = tuple(range(2016, 2026))


# ------------------------------------------------------------------ the truth


def _rate(numerator: float, denominator: float) -> float:
    return round(100.0 * numerator / denominator, 1) if denominator else 0.0


def _ward_truth(ward: Ward, seed: int) -> dict[int, dict[str, float]]:
    """Every indicator of one ward for every year, internally consistent."""
    rng = random.Random(f"{seed}:{ward.code}:truth")
    population = rng.randint(8000, 13500)
    persons_per_household = rng.uniform(3.4, 3.9)
    members = rng.randint(90, 220)
    cells = rng.randint(8, 18)
    residential_groups = rng.randint(4, 9)
    truth: dict[int, dict[str, float]] = {}
    for step, year in enumerate(YEARS):
        population = round(population * rng.uniform(1.002, 1.009))
        households = round(population / persons_per_household)
        values = _party_values(rng, members, cells)
        members = int(values["XD.DV_TRIEU_TAP"] + values["XD.KET_NAP_DV"] - values["_leaving"])
        values.pop("_leaving")
        values |= _society_values(rng, step, population, households, residential_groups)
        values |= _economy_values(rng)
        values |= _mass_mobilisation_values(rng)
        truth[year] = values
    return truth


def _party_values(rng: random.Random, members: int, cells: int) -> dict[str, float]:
    attended = members - rng.randint(3, 12)
    self_checked = cells - (1 if rng.random() < 0.3 else 0)
    admitted, moved_in = rng.randint(2, 9), rng.randint(0, 4)
    moved_out, deceased = rng.randint(0, 3), rng.randint(0, 3)
    expelled = 1 if rng.random() < 0.1 else 0
    return {
        "XD.DV_TRIEU_TAP": members,
        "XD.DV_HOC_NQ": attended,
        "XD.DV_HOC_NQ_TYLE": _rate(attended, members),
        "XD.KET_NAP_DV": admitted,
        "XD.TIEP_NHAN_DV": moved_in,
        "XD.CHUYEN_DI_DV": moved_out,
        "XD.TU_TRAN_DV": deceased,
        "XD.HUY_HIEU": rng.randint(2, 12),
        "XD.KHAI_TRU_DV": expelled,
        "XD.CHI_BO": cells,
        "XD.CHI_BO_TU_KT": self_checked,
        "XD.CHI_BO_TU_KT_TYLE": _rate(self_checked, cells),
        "_leaving": moved_out + deceased + expelled - moved_in,
    }


def _society_values(
    rng: random.Random, step: int, population: int, households: int, groups: int
) -> dict[str, float]:
    insured = round(population * min(0.97, 0.80 + 0.012 * step + rng.uniform(-0.01, 0.01)))
    poor = round(households * max(0.012, 0.085 - 0.007 * step + rng.uniform(-0.004, 0.004)))
    near_poor = round(households * max(0.02, 0.07 - 0.004 * step + rng.uniform(-0.005, 0.005)))
    cultural = round(households * rng.uniform(0.86, 0.95))
    return {
        "VH.DAN_SO": population,
        "VH.BHYT_SO_NGUOI": insured,
        "VH.BHYT_TYLE": _rate(insured, population),
        "VH.TONG_HO": households,
        "VH.HO_NGHEO": poor,
        "VH.HO_NGHEO_TYLE": _rate(poor, households),
        "VH.HO_CAN_NGHEO": near_poor,
        "VH.HO_CAN_NGHEO_TYLE": _rate(near_poor, households),
        "VH.GD_VAN_HOA": cultural,
        "VH.GD_VAN_HOA_TYLE": _rate(cultural, households),
        "VH.GD_HOC_TAP_TYLE": round(rng.uniform(85.0, 97.0), 1),
        "VH.LD_DAO_TAO_TYLE": round(min(75.0, 40.0 + 3.0 * step + rng.uniform(-2, 2)), 1),
        "VH.TDP_VAN_HOA": groups - (1 if rng.random() < 0.3 else 0),
        "QP.GIAO_QUAN_TYLE": 100.0 if rng.random() < 0.8 else 110.0,
    }


def _economy_values(rng: random.Random) -> dict[str, float]:
    town_funds = rng.randint(5, 30) * 100_000_000
    ward_funds = rng.randint(100_000, 800_000) * 1_000
    return {
        "KT.VON_NS_CAP_TREN": town_funds,
        "KT.VON_NS_XA": ward_funds,
        "KT.VON_DAU_TU": town_funds + ward_funds,
        "MT.VAN_DONG_NHA_DDK": rng.randint(5, 140) * 10_000_000,
    }


def _mass_mobilisation_values(rng: random.Random) -> dict[str, float]:
    received = rng.randint(10, 40)
    resolved = received - rng.randint(0, 3)
    return {
        "DV.Y_KIEN_NHAN": received,
        "DV.Y_KIEN_GIAI_QUYET": resolved,
        "DV.Y_KIEN_TYLE": _rate(resolved, received),
        "DV.NGUOI_DU_DOI_THOAI": rng.randint(100, 400),
        "DV.MO_HINH_DVK": rng.randint(1, 6),
    }


# ------------------------------------------------------------------ styles


@dataclass(frozen=True)
class _WardStyle:
    """How one ward's clerk fills the form."""

    inline_metadata: bool
    omit_codes: bool
    use_aliases: bool
    nfd_names: bool
    money_in_millions: bool
    dash_for_zero: bool
    approximate_indicator: str | None
    year_header_prefix: str


def _ward_style(ward: Ward, index: int, seed: int) -> _WardStyle:
    rng = random.Random(f"{seed}:{ward.code}:style")
    return _WardStyle(
        inline_metadata=index % 2 == 0,
        omit_codes=index % 3 == 2,
        use_aliases=rng.random() < 0.5,
        nfd_names=ward.code in NFD_NAME_WARDS,
        money_in_millions=ward.code in MILLION_UNIT_WARDS,
        dash_for_zero=ward.code in BLANK_DASH_WARDS,
        approximate_indicator=APPROXIMATE_INDICATOR if ward.code == APPROXIMATE_WARD else None,
        year_header_prefix="TH " if index % 4 == 1 else "Năm ",
    )
