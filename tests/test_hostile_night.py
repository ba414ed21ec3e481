"""The hostile night (issue #21): a few hundred good and broken inputs in one landing
folder, one night of the real ``chitieu run`` under ``ulimit -v`` of 3 GB.

The inputs come from :func:`tests.generators.hostile.draw_hostile_inputs`, which says of
each what the night must do with it. The night must complete (exit 0, never killed or
aborting), leave no process behind, load every good file's values, reject every bad
file with a reason in Vietnamese and English, read no skipped entry (FIFOs and sockets
named in the summary's ``files_skipped``), give every damaged file an outcome, and
stage nothing by halves.

Every test that runs the night is marked slow (``make test`` runs them, ``make test-fast``
does not): the few-hundred night, and a bigger draw of another seed. The tests of the
draw itself run without a night.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from tests.generators.hostile import (
    EITHER,
    LOAD,
    OUTCOMES,
    REJECT,
    SKIP,
    HostileDraw,
    draw_hostile_inputs,
)
from tests.generators.hostile_night import (
    MEMORY_LIMIT_BYTES,
    Night,
    bad_file_problems,
    either_problems,
    good_file_problems,
    half_loaded_problems,
    run_cli,
    skipped_problems,
    warehouse_outcomes,
)

SEED = 21
COUNT = 250
BIG_COUNT = 1000
BIG_SEEDS = (101,)
# Bombs are refused before a reader allocates: a night of a few hundred small files has
# no reason to take minutes.
MODEST_NIGHT_SECONDS = 300


def _hostile_night(root: Path, draw: HostileDraw) -> tuple[HostileDraw, Night, Path]:
    raw, warehouse = root / "raw", root / "wh" / "warehouse.duckdb"
    draw.write(raw)
    night = run_cli(
        *("run", "--raw-dir", raw, "--warehouse", warehouse, "--json"),
        memory_limit=MEMORY_LIMIT_BYTES,
        timeout=900,
        watch=warehouse,
    )
    return draw, night, warehouse


@pytest.fixture(scope="module")
def draw() -> HostileDraw:
    return draw_hostile_inputs(COUNT, SEED)


@pytest.fixture(scope="module")
def hostile_night(draw, tmp_path_factory):
    return _hostile_night(tmp_path_factory.mktemp("hostile_night"), draw)


@pytest.fixture(scope="module")
def outcomes(hostile_night):
    _, night, warehouse = hostile_night
    if not warehouse.exists():
        pytest.fail(f"the night published no warehouse\n{night.explain()}")
    return warehouse_outcomes(warehouse)


def _assert_none(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:25])


# ------------------------------------------------------------------ the night


@pytest.mark.slow
def test_the_night_completes_under_the_memory_limit(hostile_night):
    _, night, _ = hostile_night
    assert night.returncode != 134 and night.returncode >= 0, (
        f"the run aborted or was killed\n{night.explain()}"
    )
    assert night.returncode == 0, night.explain()
    assert night.summary is not None and night.summary["outcome"] == "published", night.stdout
    assert night.seconds < MODEST_NIGHT_SECONDS, night.seconds


@pytest.mark.slow
def test_no_process_of_the_night_outlives_it(hostile_night):
    _, night, _ = hostile_night
    assert night.survivors == [], "\n".join(night.survivors)


@pytest.mark.slow
def test_every_good_file_loads(hostile_night, outcomes):
    draw, _, _ = hostile_night
    _assert_none(good_file_problems(draw, outcomes))


@pytest.mark.slow
def test_every_bad_file_is_rejected_with_a_bilingual_reason(hostile_night, outcomes):
    draw, _, _ = hostile_night
    _assert_none(bad_file_problems(draw, outcomes))


@pytest.mark.slow
def test_skipped_entries_are_never_read_and_fifos_are_reported(hostile_night, outcomes):
    draw, night, _ = hostile_night
    _assert_none(skipped_problems(draw, outcomes, night.summary))


@pytest.mark.slow
def test_every_damaged_file_has_an_outcome(hostile_night, outcomes):
    draw, _, _ = hostile_night
    _assert_none(either_problems(draw, outcomes))


@pytest.mark.slow
def test_nothing_is_half_loaded(hostile_night, outcomes):
    draw, _, _ = hostile_night
    _assert_none(half_loaded_problems(draw, outcomes))


# ------------------------------------------------------------------ the generator


def _landing_view(draw: HostileDraw) -> list[tuple]:
    return [(i.relative, i.kind, i.expect, i.data, i.node, i.expected) for i in draw.inputs]


def test_the_draw_is_the_same_for_the_same_seed():
    first, again = draw_hostile_inputs(60, 7), draw_hostile_inputs(60, 7)
    assert _landing_view(first) == _landing_view(again)
    assert _landing_view(first) != _landing_view(draw_hostile_inputs(60, 8))


def test_the_draw_holds_every_kind_of_damage(draw):
    assert len(draw.inputs) == COUNT
    kinds = " | ".join(item.kind for item in draw.inputs)
    for kind in (
        "ods bomb",
        "xlsx dimension bomb",
        "xls dimension bomb",
        "csv with a 140 KB cell",
        "FIFO",
        "socket",
        "Office lock file",
        "hidden",
        "encrypted xlsx",
        "truncated",
        "random byte flips",
        "bytes flipped inside",
        "removed",
        "points to",
        "declares",
        "good xls",
        "good ods",
        "good csv utf-16",
        "good csv cp1258",
        "good demo xlsx",
        "empty rows repeated",
    ):
        assert kind in kinds, kind
    assert {item.expect for item in draw.inputs} == set(OUTCOMES)
    assert len(draw.of(LOAD)) >= 40 and len(draw.of(REJECT, EITHER)) >= 100
    names = [item.relative for item in draw.inputs]
    assert len(set(names)) == len(names)
    assert sum(not _is_utf8(name) for name in names) >= 5
    assert any(len(name.rsplit(b"/", 1)[-1]) > 200 for name in names)
    assert any(b" " in name for name in names)
    shas = [item.sha256 for item in draw.inputs if item.data is not None]
    assert len(set(shas)) == len(shas)
    assert all(item.data is None for item in draw.of(SKIP) if item.node != "file")


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_good_files_of_the_draw_hold_the_values_they_promise(tmp_path):
    """The generator's truth, checked by the reader alone (no night): every good file of a
    small draw reads as one or more submissions holding exactly its expected values."""
    from flows.reading.files import read_submissions
    from flows.reading.parse import reader_state
    from flows.reading.submission import LandedFile

    catalog, resolver = reader_state()
    draw = draw_hostile_inputs(80, 3)
    for n, item in enumerate(draw.of(LOAD)):
        extension = Path(item.relative.decode("utf-8", "replace")).suffix.lower()
        path = tmp_path / f"{n}{extension}"
        path.write_bytes(item.data)
        landed = LandedFile(
            path, item.shown, hashlib.sha256(item.data).hexdigest(), len(item.data), datetime.now()
        )
        reading = read_submissions(landed, catalog, resolver)
        assert all(s.rejection is None for s in reading.submissions), item
        read = {
            (s.unit_key, o.indicator_code, o.period_code): o.value
            for s in reading.submissions
            for o in s.observations
        }
        promised = {(v.unit_key, v.indicator_code, v.period_code): v.value for v in item.expected}
        assert promised and read == pytest.approx(promised), item


# ------------------------------------------------------------------ bigger draws


@pytest.mark.slow
@pytest.mark.parametrize("seed", BIG_SEEDS)
def test_bigger_hostile_nights(tmp_path, seed):
    draw, night, warehouse = _hostile_night(tmp_path, draw_hostile_inputs(BIG_COUNT, seed))
    assert night.returncode == 0, night.explain()
    assert night.survivors == [], "\n".join(night.survivors)
    outcomes = warehouse_outcomes(warehouse)
    _assert_none(
        good_file_problems(draw, outcomes)
        + bad_file_problems(draw, outcomes)
        + skipped_problems(draw, outcomes, night.summary)
        + either_problems(draw, outcomes)
        + half_loaded_problems(draw, outcomes)
    )
