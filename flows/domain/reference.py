"""Administrative units before and after the 2025 reorganisation, and the crosswalk.

Everything here comes from the ``vietnamadminunits`` package (MIT), which ships the
GSO lists of both schemes and the mapping the package's own address converter uses:
no unit is typed by hand.

Crosswalk shares: a legacy ward that went whole into one new ward has share 1
(``whole``). A legacy ward divided between several new wards is apportioned by the
area of the receiving new wards (``area``): share = area(new ward) / sum of the
areas of all new wards that received part of it. The package does not publish the
area or population of each divided part, so this is the best documented proxy.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from importlib import resources, util
from pathlib import Path

import duckdb
import pandas as pd

PRE2025 = "pre2025"
SCHEME_2025 = "2025"


def unit_key(scheme: str, code: str) -> str:
    """The warehouse key of a unit: ``'<scheme>:<gso code>'``."""
    return f"{scheme}:{code}"


def _package_file(name: str):
    """A data file of ``vietnamadminunits``, found without importing the package.

    Importing it compiles its address parser's regular expressions (about a second),
    which the warehouse never uses: only the data files are read here.
    """
    spec = util.find_spec("vietnamadminunits")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location, "data", name)
            if candidate.is_file():
                return candidate
    return resources.files("vietnamadminunits").joinpath("data", name)


def _read_table(table: str) -> pd.DataFrame:
    with (
        resources.as_file(_package_file("dataset.db")) as path,
        closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con,
    ):
        # What pandas.read_sql_query does with a sqlite3 connection, without its
        # SQLAlchemy probe (an import of a few hundred milliseconds).
        cursor = con.execute(f"SELECT * FROM [{table}]")
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns, coerce_float=True)


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def _legacy_units(legacy: pd.DataFrame) -> pd.DataFrame:
    """Wards, districts and provinces of the pre-2025 scheme."""
    wards = legacy[legacy["wardCode"].notna()]
    ward_rows = pd.DataFrame(
        {
            "unit_key": PRE2025 + ":" + wards["wardCode"],
            "scheme": PRE2025,
            "unit_code": wards["wardCode"],
            "unit_name": wards["ward"],
            "short_name": wards["wardShort"],
            "unit_type": wards["wardType"],
            "level": "ward",
            "parent_key": PRE2025 + ":" + wards["districtCode"],
            "district_key": PRE2025 + ":" + wards["districtCode"],
            "province_key": PRE2025 + ":" + wards["provinceCode"],
            "area_km2": None,
        }
    )
    districts = legacy.drop_duplicates("districtCode")
    district_rows = pd.DataFrame(
        {
            "unit_key": PRE2025 + ":" + districts["districtCode"],
            "scheme": PRE2025,
            "unit_code": districts["districtCode"],
            "unit_name": districts["district"],
            "short_name": districts["districtShort"],
            "unit_type": districts["districtType"],
            "level": "district",
            "parent_key": PRE2025 + ":" + districts["provinceCode"],
            "district_key": None,
            "province_key": PRE2025 + ":" + districts["provinceCode"],
            "area_km2": None,
        }
    )
    provinces = legacy.drop_duplicates("provinceCode")
    province_rows = _province_rows(provinces, PRE2025)
    return pd.concat([ward_rows, district_rows, province_rows], ignore_index=True)


def _province_rows(provinces: pd.DataFrame, scheme: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_key": scheme + ":" + provinces["provinceCode"],
            "scheme": scheme,
            "unit_code": provinces["provinceCode"],
            "unit_name": provinces["province"],
            "short_name": provinces["provinceShort"],
            "unit_type": provinces["province"].map(_province_type),
            "level": "province",
            "parent_key": None,
            "district_key": None,
            "province_key": None,
            "area_km2": None,
        }
    )


def _units_2025(current: pd.DataFrame) -> pd.DataFrame:
    """Wards and provinces of the 2025 scheme."""
    ward_rows = pd.DataFrame(
        {
            "unit_key": SCHEME_2025 + ":" + current["wardCode"],
            "scheme": SCHEME_2025,
            "unit_code": current["wardCode"],
            "unit_name": current["ward"],
            "short_name": current["wardShort"],
            "unit_type": current["wardType"],
            "level": "ward",
            "parent_key": SCHEME_2025 + ":" + current["provinceCode"],
            "district_key": None,
            "province_key": SCHEME_2025 + ":" + current["provinceCode"],
            "area_km2": current["wardAreaKm2"].astype(float),
        }
    )
    provinces = current.drop_duplicates("provinceCode")
    return pd.concat([ward_rows, _province_rows(provinces, SCHEME_2025)], ignore_index=True)


def _crosswalk(legacy: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Pre-2025 ward → 2025 ward, with the share of the old ward each new one received."""
    with resources.as_file(_package_file("converter_2025.json")) as path:
        converter = json.loads(path.read_text(encoding="utf-8"))
    legacy_wards = legacy[legacy["wardCode"].notna()]
    old_code_by_key = dict(
        zip(
            legacy_wards["provinceKey"]
            + "_"
            + legacy_wards["districtKey"]
            + "_"
            + legacy_wards["wardKey"],
            legacy_wards["wardCode"],
            strict=True,
        )
    )
    new_code_by_key = dict(
        zip(current["provinceKey"] + "_" + current["wardKey"], current["wardCode"], strict=True)
    )
    rows: list[tuple[str, str, float, str, bool]] = []
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            new_code = new_code_by_key.get(f"{new_province}_{new_ward}")
            for old_key in old_keys:
                old_code = old_code_by_key.get(old_key)
                if new_code and old_code:
                    rows.append((old_code, new_code, 1.0, "whole", True))
    for new_province, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            old_code = old_code_by_key.get(old_key)
            receiving = [
                (new_code_by_key.get(f"{new_province}_{p['newWardKey']}"), p) for p in parts
            ]
            receiving = [(code, p) for code, p in receiving if code]
            total_area = sum(float(p["newWardAreaKm2"] or 0) for _, p in receiving)
            for new_code, part in receiving:
                share = (
                    float(part["newWardAreaKm2"] or 0) / total_area
                    if total_area
                    else 1 / len(receiving)
                )
                rows.append((old_code, new_code, share, "area", bool(part["isDefaultNewWard"])))
    frame = pd.DataFrame(
        rows,
        columns=["old_code", "new_code", "share", "share_method", "is_default_new_unit"],
    ).dropna(subset=["old_code"])
    return pd.DataFrame(
        {
            "old_unit_key": PRE2025 + ":" + frame["old_code"],
            "new_unit_key": SCHEME_2025 + ":" + frame["new_code"],
            "share": frame["share"],
            "share_method": frame["share_method"],
            "is_default_new_unit": frame["is_default_new_unit"],
        }
    ).drop_duplicates(["old_unit_key", "new_unit_key"])


@dataclass(frozen=True)
class Reference:
    """Reference frames, shaped like the ``ref`` tables of :mod:`flows.warehouse.schema`."""

    admin_units: pd.DataFrame
    admin_crosswalk: pd.DataFrame


@cache
def load_reference() -> Reference:
    """Load units of both schemes and the crosswalk from the package (cached per process)."""
    legacy = _read_table("admin_units_legacy")
    current = _read_table("admin_units")
    units = pd.concat([_legacy_units(legacy), _units_2025(current)], ignore_index=True)
    return Reference(admin_units=units, admin_crosswalk=_crosswalk(legacy, current))


def write_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the ``ref`` tables in ``con`` with the package's reference data."""
    reference = load_reference()
    for table, frame in (
        ("admin_units", reference.admin_units),
        ("admin_crosswalk", reference.admin_crosswalk),
    ):
        con.register("reference_frame", frame)
        con.execute(f"DELETE FROM ref.{table}")
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO ref.{table} ({columns}) SELECT {columns} FROM reference_frame")
        con.unregister("reference_frame")
