"""A landing folder of hostile inputs beside good ones, drawn from a seed, with what the
night must do with each.

``draw_hostile_inputs(count, seed)`` returns a :class:`HostileDraw` of ``count`` inputs
(about a quarter of them good), the same for the same seed down to the bytes and names;
``HostileDraw.write(folder)`` lays them out, FIFOs and sockets included. Each
:class:`HostileInput` says what the night must do with it:

- ``load``: a real ward's file (unit code and period that resolve): every value it holds
  must be current in ``marts.fct_indicator_value``. Written by the demo's own generator
  (``tools/demo.py``), or from the demo's sheet writer through openpyxl, xlwt (.xls),
  odfpy (.ods) and the csv module in UTF-8, UTF-8 with BOM, UTF-16 and Windows-1258;
  an .ods ending with LibreOffice's empty rows repeated to the edge of the grid too.
- ``reject``: a submission with status ``rejected`` and a bilingual reason: the extent
  bombs, a CSV with a 140 KB cell, truncated zip containers, a needed part of one
  damaged, removed, misdirected or lying about its size, empty, random, encrypted or
  disguised files, the demo's own bad files.
- ``skip``: no submission at all: hidden files and folders and Office lock files (skipped
  by design), FIFOs and sockets (reported in the run summary's ``files_skipped``).
- ``either``: damage that may leave a readable file (bytes flipped anywhere, a file cut
  short that is not a zip, a part no reader needs): the night must go on and the file
  must have an outcome, whatever it is.

Good files and damaged ones never share a ward and period, so that a damaged copy that
still parses never supersedes a good file: the ward-years of damaged files come from
bases that are never landed whole. Every input's bytes are distinct.
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from tests.generators.hostile_damage import damage, hidden_name, hostile_name
from tests.generators.hostile_files import (
    CSV_FLAVOURS,
    Expected,
    WardYear,
    WrittenFile,
    csv_with_huge_cell,
    grid_of,
    minimal_pdf,
    ods_bomb,
    ods_bytes,
    office_lock_file,
    ward_file,
    ward_sheet,
    ward_years,
    xls_dimension_bomb,
    xlsx_dimension_bomb,
)

LOAD, REJECT, SKIP, EITHER = "load", "reject", "skip", "either"
OUTCOMES = (LOAD, REJECT, SKIP, EITHER)
# The demo's file superseded by its correction: neither good (its values are not current)
# nor bad; left out.
_DEMO_SUPERSEDED = "nam-2024/pho-hoa.xlsx"
_FORMATS = ("xlsx", "xlsx", "xls", "ods", "csv")


@dataclass(frozen=True)
class HostileInput:
    """One entry of the landing folder and what the night must do with it."""

    relative: bytes  # the path under the landing folder, as the file system has it
    kind: str  # what it is, for messages: "good xls", "ods bomb", "truncated csv"...
    expect: str  # load, reject, skip or either
    data: bytes | None = None  # None for a FIFO or a socket
    node: str = "file"  # file, fifo or socket
    expected: tuple[Expected, ...] = ()  # the values a good file must make current

    @cached_property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None

    @property
    def shown(self) -> str:
        """The name as the warehouse shows it: invalid UTF-8 bytes as ``\\xff`` escapes."""
        return self.relative.decode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return f"<{self.expect} {self.kind}: {self.shown!r}>"


@dataclass
class HostileDraw:
    """A seeded draw of inputs; :meth:`write` lays them out in a landing folder."""

    seed: int
    inputs: list[HostileInput] = field(default_factory=list)

    def of(self, *expects: str) -> list[HostileInput]:
        return [item for item in self.inputs if item.expect in expects]

    def kinds(self) -> Counter:
        return Counter(f"{item.expect}: {item.kind}" for item in self.inputs)

    def write(self, out_dir: Path) -> None:
        """Write every input under ``out_dir`` (names as bytes: invalid UTF-8 stays so)."""
        root = os.fsencode(Path(out_dir))
        os.makedirs(root, exist_ok=True)
        for item in self.inputs:
            path = os.path.join(root, item.relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if item.node == "fifo":
                os.mkfifo(path)
            elif item.node == "socket":
                make_socket(path)
            else:
                with open(path, "wb") as handle:
                    handle.write(item.data or b"")


def make_socket(path: bytes) -> None:
    """A Unix socket's inode left at ``path`` (bound, then closed: nothing listens).

    A socket address holds about 100 bytes: the socket is bound under a short name in
    the same folder (the working directory, for the time of the call), then renamed.
    """
    folder, name = os.path.split(path)
    here = os.getcwd()
    os.chdir(folder)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(b".s")
        os.replace(b".s", name)
    finally:
        os.chdir(here)


# ------------------------------------------------------------------ the draw


class _Drawer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.draw = HostileDraw(seed)
        self.names: set[bytes] = set()
        self.shas: set[str] = set()
        # Distinct ward-years: good files, damaged bases and hidden files never share one.
        self.ward_years = ward_years(self.rng)
        self.demo_good, self.demo_bases, self.demo_bad = _demo_files(self.rng)

    def next_ward_year(self) -> WardYear:
        if not self.ward_years:
            raise ValueError("the draw ran out of distinct ward-years")
        return self.ward_years.pop()

    def add(self, relative: bytes, kind: str, expect: str, data: bytes | None = None, **kw):
        if data is not None:
            sha = hashlib.sha256(data).hexdigest()
            if sha in self.shas:
                return False
            self.shas.add(sha)
        relative = self._unique(relative)
        self.draw.inputs.append(HostileInput(relative, kind, expect, data, **kw))
        return True

    def _unique(self, relative: bytes) -> bytes:
        candidate, n = relative, 1
        while candidate in self.names:
            stem, dot, extension = relative.rpartition(b".")
            candidate = stem + b"-" + str(n).encode() + dot + extension if dot else relative + b"-"
            n += 1
        self.names.add(candidate)
        return candidate

    # -------------------------------------------------------------- what can be drawn

    def good_file(self) -> None:
        if self.demo_good and self.rng.random() < 0.3:
            relative, data, expected = self.demo_good.pop()
            name = relative.encode() if self.rng.random() < 0.5 else self._name(relative, ".xlsx")
            self.add(name, "good demo xlsx", LOAD, data, expected=expected)
            return
        who = self.next_ward_year()
        fmt = self.rng.choice(_FORMATS)
        flavour = self.rng.choice(CSV_FLAVOURS)
        written = ward_file(who, fmt, csv_flavour=flavour)
        kind = f"good {fmt}" + (f" {flavour[0]} '{flavour[1]}'" if fmt == "csv" else "")
        self._add_good(who, written, kind)

    def _add_good(self, who: WardYear, written: WrittenFile, kind: str) -> None:
        title = f"{who.ward.name} {who.year}"
        self.add(
            self._name(title, written.extension),
            kind,
            LOAD,
            written.data,
            expected=written.expected,
        )

    def _name(self, title: str, extension: str) -> bytes:
        title = title.rsplit("/", 1)[-1].removesuffix(extension)
        return hostile_name(self.rng, title, extension)

    def damaged_files(self) -> None:
        """One to four damaged copies of one base file never landed whole."""
        if self.demo_bases and self.rng.random() < 0.3:
            relative, base = self.demo_bases.pop()
            extension, title = ".xlsx", relative
        else:
            who = self.next_ward_year()
            fmt = self.rng.choice(_FORMATS)
            written = ward_file(who, fmt, csv_flavour=self.rng.choice(CSV_FLAVOURS))
            base, extension, title = written.data, written.extension, f"{who.ward.name}"
        for _ in range(self.rng.randint(1, 4)):
            harm = damage(base, extension, self.rng)
            expect = REJECT if harm.certain else EITHER
            kind = f"{extension[1:]}: {harm.what}"
            self.add(self._name(title, extension), kind, expect, harm.data)

    def skipped(self) -> None:
        roll = self.rng.random()
        if roll < 0.25:
            self.add(self._name("ong dan", ".csv"), "FIFO", SKIP, node="fifo")
        elif roll < 0.35:
            self.add(self._name("o cam", ".xlsx"), "socket", SKIP, node="socket")
        elif roll < 0.5:
            name = b"~$" + self._name("dang mo", ".xlsx").rsplit(b"/", 1)[-1]
            self.add(name, "Office lock file", SKIP, office_lock_file())
        else:
            # A good ward file under a hidden name: read, it would load.
            who = self.next_ward_year()
            written = ward_file(who, self.rng.choice(_FORMATS))
            name = hidden_name(self.rng, f"{who.ward.name} {who.year}", written.extension)
            self.add(name, "hidden good file", SKIP, written.data)

    def special(self, kind: str) -> None:
        specials = {
            "ods bomb": lambda: (".ods", ods_bomb(), REJECT),
            "xlsx dimension bomb": lambda: (
                ".xlsx",
                xlsx_dimension_bomb(ward_file(self.next_ward_year(), "xlsx").data),
                REJECT,
            ),
            "xls dimension bomb": lambda: (
                ".xls",
                xls_dimension_bomb(grid_of(ward_sheet(self.next_ward_year())[0])),
                REJECT,
            ),
            "csv with a 140 KB cell": lambda: (
                ".csv",
                csv_with_huge_cell(grid_of(ward_sheet(self.next_ward_year())[0])),
                REJECT,
            ),
            "zero bytes": lambda: (self.rng.choice((".xlsx", ".xls", ".ods", ".csv")), b"", REJECT),
            "random bytes": lambda: (
                self.rng.choice((".xlsx", ".xls", ".ods")),
                b"\x00" + self.rng.randbytes(self.rng.randint(1, 8192)),
                REJECT,
            ),
            "pdf renamed .xlsx": lambda: (".xlsx", minimal_pdf(), REJECT),
            "pdf": lambda: (".pdf", minimal_pdf() + self.rng.randbytes(8), REJECT),
            "html renamed .xlsx": lambda: (
                ".xlsx",
                "<html><body>Tệp đính kèm đã hết hạn.</body></html>".encode()
                + self.rng.randbytes(4).hex().encode(),
                REJECT,
            ),
            "encrypted xlsx": lambda: (".xlsx", self._encrypted(), REJECT),
        }
        extension, data, expect = specials[kind]()
        self.add(self._name(kind.replace(" ", "-"), extension), kind, expect, data)

    def _encrypted(self) -> bytes:
        """A ward's workbook encrypted with a password, its salts, keys and time stamps
        fixed by the seed (the library takes them from the system's randomness and clock)."""
        from unittest import mock

        from tests.generators.rejection_cases import encrypt_ooxml

        data = ward_file(self.next_ward_year(), "xlsx").data
        salts = random.Random(self.rng.random())
        with (
            mock.patch(
                "msoffcrypto.method.ecma376_agile._random_buffer",
                lambda size: salts.randbytes(size),
            ),
            mock.patch("msoffcrypto.method.container.ecma376_encrypted.datetime", _FixedClock),
        ):
            return encrypt_ooxml(data)

    def good_ods_with_repeated_empty_rows(self) -> None:
        who = self.next_ward_year()
        workbook, expected = ward_sheet(who, report_date_form="text")
        written = WrittenFile(
            ods_bytes(grid_of(workbook), trailing_repeats=True), ".ods", tuple(expected)
        )
        self._add_good(who, written, "good ods, empty rows repeated to the grid's edge")

    def demo_bad_files(self) -> None:
        for relative, data in self.demo_bad:
            self.add(relative.encode(), f"demo bad file {relative}", REJECT, data)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2025, 1, 1)


_SPECIALS = (
    "ods bomb",
    "xlsx dimension bomb",
    "xls dimension bomb",
    "csv with a 140 KB cell",
    "zero bytes",
    "random bytes",
    "pdf renamed .xlsx",
    "pdf",
    "html renamed .xlsx",
    "encrypted xlsx",
)


def _demo_files(rng: random.Random):
    """The demo's files: a random half good, the other half bases for damage, and its
    two bad files; the demo's superseded file is left out."""
    from tools.demo import generate_demo

    with tempfile.TemporaryDirectory() as folder:
        manifest = generate_demo(Path(folder))
        contents = {name: (Path(folder) / name).read_bytes() for name in manifest.files}
    expected: dict[str, list[Expected]] = {}
    for row in manifest.expected_values:
        expected.setdefault(row["source_file"], []).append(
            Expected(
                f"pre2025:{row['unit_code']}",
                row["indicator_code"],
                row["period_code"],
                float(row["value"]),
            )
        )
    current = sorted(expected)
    rng.shuffle(current)
    half = len(current) // 2
    good = [(name, contents[name], tuple(expected[name])) for name in current[:half]]
    bases = [(name, contents[name]) for name in current[half:]]
    bad = [(name, contents[name]) for name in manifest.bad_files]
    assert _DEMO_SUPERSEDED not in expected
    return good, bases, bad


def draw_hostile_inputs(count: int = 250, seed: int = 21) -> HostileDraw:
    """``count`` inputs (at least the 18 every draw holds once) drawn with ``seed``.

    Every draw holds each bomb and special file, a FIFO, a socket, a hidden file and a
    lock file, the demo's bad files, an .ods with LibreOffice's repeated empty rows and a
    good file; the rest is drawn event by event: a good file (35 %), one to four damaged
    copies of a base file (55 %) or a skipped entry (10 %).
    """
    drawer = _Drawer(seed)
    for kind in _SPECIALS:
        drawer.special(kind)
    drawer.demo_bad_files()
    drawer.good_ods_with_repeated_empty_rows()
    drawer.add(b"ong-dan.csv", "FIFO", SKIP, node="fifo")
    drawer.add("ổ cắm.xlsx".encode(), "socket", SKIP, node="socket")
    drawer.add(b".an.xlsx", "hidden file", SKIP, ward_file(drawer.next_ward_year(), "xlsx").data)
    drawer.add(b"~$dang-mo.xlsx", "Office lock file", SKIP, office_lock_file())
    drawer.good_file()
    always = len(drawer.draw.inputs)
    while len(drawer.draw.inputs) < count:
        roll = drawer.rng.random()
        if roll < 0.35:
            drawer.good_file()
        elif roll < 0.9:
            drawer.damaged_files()
        else:
            drawer.skipped()
    del drawer.draw.inputs[max(count, always) :]
    return drawer.draw


__all__ = [
    "EITHER",
    "LOAD",
    "OUTCOMES",
    "REJECT",
    "SKIP",
    "Expected",
    "HostileDraw",
    "HostileInput",
    "draw_hostile_inputs",
]
