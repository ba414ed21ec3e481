"""Hostile files through the real flow: each refused with a reason, nothing written outside
the warehouse's own folders, and the honest file beside them still loads."""

from __future__ import annotations

import io
import shutil
import zipfile

import duckdb
import pytest

from tools.demo import generate_demo

pytestmark = pytest.mark.slow

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol9 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t>'
    b"</si></sst>"
)


def _rewrite_xlsx(source: bytes, replace: dict[str, bytes]) -> bytes:
    """A copy of an xlsx package with some parts replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in original.infolist():
            copy.writestr(item, replace.pop(item.filename, original.read(item)))
        for name, data in replace.items():
            copy.writestr(name, data)
    return out.getvalue()


def _huge_sheet(source: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    far_cell = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    return _rewrite_xlsx(
        source, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", far_cell, 1)}
    )


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", b"<Types/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (300 << 20))
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_run(prefect_server, tmp_path_factory):
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("hostile")
    demo, raw, outside = root / "demo", root / "raw", root / "outside"
    generate_demo(demo)
    raw.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the warehouse", encoding="utf-8")
    good = (demo / "nam-2024" / "pho-hoa.xlsx").read_bytes()
    shutil.copy(demo / "nam-2024" / "pho-van.xlsx", raw / "honest.xlsx")
    (raw / "zip-bomb.xlsx").write_bytes(_zip_bomb())
    (raw / "entities.xlsx").write_bytes(
        _rewrite_xlsx(good, {"xl/sharedStrings.xml": BILLION_LAUGHS})
    )
    (raw / "huge-sheet.xlsx").write_bytes(_huge_sheet(good))
    (raw / "a\\..\\..\\outside\\evil\nname.xlsx").write_bytes(b"not a workbook")
    (raw / "x'); drop table raw.submissions; --.csv").write_bytes(
        "STT;Chỉ tiêu\n1;=cmd|' /C calc'!A0\n".encode()
    )
    (raw / "link-to-secret.xlsx").symlink_to(outside / "secret.txt")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    warehouse = root / "wh" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    after = sorted(p.relative_to(root) for p in root.rglob("*"))
    con = duckdb.connect(str(warehouse), read_only=True)
    statuses = {
        row[0]: row[1:]
        for row in con.execute(
            "select source_file, status, reason from marts.rpt_submission_status"
        ).fetchall()
    }
    con.close()
    return {"summary": summary, "statuses": statuses, "before": before, "after": after}


@pytest.mark.parametrize(
    ("file", "vietnamese", "english"),
    [
        ("zip-bomb.xlsx", "giải nén", "expands to"),
        ("entities.xlsx", "DOCTYPE/ENTITY", "unsafe XML"),
        ("huge-sheet.xlsx", "1048576 dòng", "1048576 rows"),
        ("a\\..\\..\\outside\\evil\nname.xlsx", "bị hỏng", "damaged"),
    ],
)
def test_hostile_file_is_rejected_with_its_reason(hostile_run, file, vietnamese, english):
    status, reason = hostile_run["statuses"][file]
    assert status == "rejected"
    reason_vi, _, reason_en = reason.partition(" / ")
    assert vietnamese in reason_vi and english in reason_en


def test_sql_looking_names_are_data_and_the_honest_file_loads(hostile_run):
    statuses = hostile_run["statuses"]
    assert statuses["honest.xlsx"][0] == "loaded"
    assert statuses["x'); drop table raw.submissions; --.csv"][0] == "rejected"
    assert len(statuses) == 6  # the symlink is never read


def test_nothing_is_written_outside_the_warehouse_folder(hostile_run):
    created = set(hostile_run["after"]) - set(hostile_run["before"])
    assert created
    assert all(path.parts[0] == "wh" for path in created), sorted(created)
