"""Running ``chitieu`` as a hostile tester does, and reading what a night left behind.

:func:`run_cli` runs the real console script in a subprocess of its own session, with an
address-space limit and a timeout if asked, and a unique tag in its environment; once it
has ended, every process that still carries the tag (or names the run's warehouse on
its command line) is a survivor: a parse worker, a ``dbt parse``, Prefect's temporary
server. :func:`warehouse_outcomes` reads the published warehouse, and the ``*_problems``
functions compare it with what a :class:`~tests.generators.hostile.HostileDraw` says
must have become of each input, returning one line per problem (empty: all is well).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.generators.hostile import EITHER, LOAD, REJECT, SKIP, HostileDraw

CHITIEU = Path(sys.executable).with_name("chitieu")
TAG_VARIABLE = "CHITIEU_HOSTILE_RUN_TAG"
# The limit: `ulimit -v 3000000` (KiB).
MEMORY_LIMIT_BYTES = 3_000_000 * 1024
# Letters only Vietnamese text has: the first half of a reason must be Vietnamese.
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)


@dataclass
class Night:
    """What one ``chitieu`` command did."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    survivors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict | None:
        """The run summary of ``run --json``, if the command printed one."""
        try:
            parsed = json.loads(self.stdout)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def explain(self) -> str:
        """The end of what it printed, for an assertion message."""
        return (
            f"chitieu {' '.join(self.args)} → {self.returncode} in {self.seconds:.1f} s\n"
            f"stdout: {self.stdout[-1500:]}\nstderr: {self.stderr[-3000:]}"
        )


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The operator's environment: no Prefect server configured (a temporary one per run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(extra or {})
    return env


def start_cli(
    *args: object,
    env: dict[str, str] | None = None,
    memory_limit: int | None = None,
    stdout: int = subprocess.PIPE,
    stderr: int = subprocess.PIPE,
) -> tuple[subprocess.Popen, str]:
    """``chitieu ARGS`` started in a session of its own, tagged: (process, tag).

    ``memory_limit`` is the address space (``RLIMIT_AS``) of the command and of every
    process it starts; the tag (in the environment every child inherits) finds them all.
    """
    tag = uuid.uuid4().hex
    environment = cli_env(env)
    environment[TAG_VARIABLE] = tag

    def limit() -> None:
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    process = subprocess.Popen(
        [str(CHITIEU), *(str(arg) for arg in args)],
        env=environment,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=limit,
    )
    return process, tag


def run_cli(
    *args: object,
    env: dict[str, str] | None = None,
    memory_limit: int | None = None,
    timeout: float = 600,
    watch: Path | None = None,
) -> Night:
    """``chitieu ARGS`` in a subprocess (:func:`start_cli`); a hang past ``timeout`` kills
    it and fails the test.

    Processes of the run still alive once it has ended (after a grace period for the
    kernel to deliver their parent's death) are listed in ``survivors``, then killed so
    that no test leaves them behind. ``watch`` (the run's warehouse path) also counts as
    the run's any process naming it on its command line.
    """
    import pytest

    argv = [str(arg) for arg in args]
    started = time.monotonic()
    process, tag = start_cli(*argv, env=env, memory_limit=memory_limit)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        out, err = process.communicate()
        kill_survivors(tag, watch)
        pytest.fail(
            f"chitieu {' '.join(argv)} did not end within {timeout:.0f} s (killed)\n"
            f"stderr: {err.decode('utf-8', 'backslashreplace')[-3000:]}"
        )
    seconds = time.monotonic() - started
    survivors = wait_for_survivors(tag, watch)
    kill_survivors(tag, watch)
    return Night(
        argv,
        process.returncode,
        out.decode("utf-8", "backslashreplace"),
        err.decode("utf-8", "backslashreplace"),
        seconds,
        survivors,
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


# ------------------------------------------------------------------ processes of a run


def _processes() -> dict[int, tuple[str, str, bytes, bytes]]:
    """{pid: (state, session id, cmdline, environ)} of every process readable in /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
            with open(f"/proc/{entry}/environ", "rb") as environ:
                variables = environ.read()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found[int(entry)] = (fields[0].decode(), fields[3].decode(), command, variables)
    return found


def run_processes(tag: str, watch: Path | None = None) -> list[str]:
    """Living processes (zombies are dead) of the run tagged ``tag``: ``pid command``."""
    marker = f"{TAG_VARIABLE}={tag}".encode()
    watched = os.fsencode(str(watch)) if watch is not None else None
    alive = []
    for pid, (state, _, command, variables) in _processes().items():
        if pid == os.getpid() or state in ("Z", "X"):
            continue
        if marker in variables.split(b"\0") or (watched is not None and watched in command):
            shown = command.replace(b"\0", b" ").decode("utf-8", "backslashreplace")
            alive.append(f"{pid} [{state}] {shown[:300]}")
    return alive


def wait_for_survivors(tag: str, watch: Path | None = None, grace: float = 15) -> list[str]:
    """The run's processes still alive ``grace`` seconds after it ended (empty at once
    when none is left)."""
    deadline = time.monotonic() + grace
    while True:
        alive = run_processes(tag, watch)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.25)


def kill_survivors(tag: str, watch: Path | None = None) -> None:
    for line in run_processes(tag, watch):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split()[0]), signal.SIGKILL)


# ------------------------------------------------------------------ the warehouse


@dataclass
class Outcomes:
    """What a published warehouse says of its submissions and current values."""

    submissions: list[dict]  # raw.submissions
    status: dict[str, dict]  # marts.rpt_submission_status by submission_id
    current: dict[tuple[str, str, str], dict]  # fct_indicator_value by unit, indicator, period
    observations_by_submission: Counter
    orphan_observations: int

    def by_sha(self) -> dict[str, list[dict]]:
        found = defaultdict(list)
        for row in self.submissions:
            found[row["file_sha256"]].append(row)
        return found


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def warehouse_outcomes(warehouse: Path) -> Outcomes:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        submissions = _rows(con, "select * from raw.submissions")
        status = {
            r["submission_id"]: r for r in _rows(con, "select * from marts.rpt_submission_status")
        }
        current = {
            (r["unit_key"], r["indicator_code"], r["period_code"]): r
            for r in _rows(
                con,
                "select unit_key, indicator_code, period_code, value, submission_id, "
                "file_sha256, source_file from marts.fct_indicator_value",
            )
        }
        counts = Counter(
            dict(
                con.execute(
                    "select submission_id, count(*) from raw.observations group by all"
                ).fetchall()
            )
        )
        orphans = con.execute(
            "select count(*) from raw.observations where submission_id not in "
            "(select submission_id from raw.submissions)"
        ).fetchone()[0]
    finally:
        con.close()
    return Outcomes(submissions, status, current, counts, orphans)


def bilingual_problem(reason: str | None) -> str | None:
    """Why ``reason`` is not "Vietnamese / English", or None when it is."""
    if not reason or " / " not in reason:
        return f"no bilingual reason: {reason!r}"
    vietnamese, _, english = reason.partition(" / ")
    if not VIETNAMESE.search(vietnamese) or not english.strip():
        return f"not Vietnamese, then English: {reason[:200]!r}"
    return None


def good_file_problems(draw: HostileDraw, outcomes: Outcomes) -> list[str]:
    """Every ``load`` input: loaded, and each of its values current with its content."""
    problems = []
    by_sha = outcomes.by_sha()
    for item in draw.of(LOAD):
        rows = by_sha.get(item.sha256, [])
        statuses = {outcomes.status.get(r["submission_id"], {}).get("status") for r in rows}
        if not rows or not statuses <= {"loaded", "loaded_with_warnings"}:
            reasons = [r["reason"] for r in rows]
            problems.append(f"{item!r} not loaded: {sorted(map(str, statuses))} {reasons}"[:600])
            continue
        wrong = []
        for value in item.expected:
            row = outcomes.current.get((value.unit_key, value.indicator_code, value.period_code))
            if row is None or row["file_sha256"] != item.sha256:
                wrong.append((value, None if row is None else row["source_file"]))
            elif abs(row["value"] - value.value) > 1e-6 * max(1.0, abs(value.value)):
                wrong.append((value, row["value"]))
        if wrong:
            problems.append(f"{item!r}: {len(wrong)} values not current, e.g. {wrong[:2]}")
    return problems


def bad_file_problems(draw: HostileDraw, outcomes: Outcomes) -> list[str]:
    """Every ``reject`` input: rejected (each of its submissions), with a bilingual reason."""
    problems = []
    by_sha = outcomes.by_sha()
    for item in draw.of(REJECT):
        rows = by_sha.get(item.sha256, [])
        if not rows:
            problems.append(f"{item!r} has no submission")
            continue
        for row in rows:
            status = outcomes.status.get(row["submission_id"], {}).get("status")
            if status != "rejected":
                problems.append(f"{item!r} is {status}, not rejected")
            elif why := bilingual_problem(outcomes.status[row["submission_id"]]["reason"]):
                problems.append(f"{item!r}: {why}")
    return problems


def either_problems(draw: HostileDraw, outcomes: Outcomes) -> list[str]:
    """Every ``either`` input has an outcome; a rejected one says why in both languages."""
    problems = []
    by_sha = outcomes.by_sha()
    for item in draw.of(EITHER):
        rows = by_sha.get(item.sha256, [])
        if not rows:
            problems.append(f"{item!r} has no submission")
        for row in rows:
            status = outcomes.status.get(row["submission_id"], {})
            if status.get("status") == "rejected" and (why := bilingual_problem(status["reason"])):
                problems.append(f"{item!r}: {why}")
    return problems


def skipped_problems(draw: HostileDraw, outcomes: Outcomes, summary: dict | None) -> list[str]:
    """``skip`` inputs: no submission of their content or name; FIFOs and sockets named
    in the run summary's ``files_skipped``."""
    problems = []
    by_sha = outcomes.by_sha()
    names = {row["source_file"] for row in outcomes.submissions}
    skipped = (summary or {}).get("files_skipped")
    for item in draw.of(SKIP):
        if item.sha256 is not None and item.sha256 in by_sha:
            problems.append(f"{item!r} was read: {by_sha[item.sha256][0]['source_file']!r}")
        if item.shown in names:
            problems.append(f"{item!r} has a submission under its name")
        if item.node in ("fifo", "socket"):
            if not isinstance(skipped, list):
                problems.append(f"the run summary has no files_skipped list: {skipped!r}")
            elif not any(item.shown in str(entry.get("file")) for entry in skipped):
                problems.append(f"{item!r} is not in files_skipped")
    return problems


def half_loaded_problems(draw: HostileDraw, outcomes: Outcomes) -> list[str]:
    """One submission row per (content, sheet), every content of the folder and no other,
    each submission with exactly its values and no value without its submission."""
    problems = []
    keys = Counter((r["file_sha256"], r["source_sheet"]) for r in outcomes.submissions)
    problems += [f"{key} staged {n} times" for key, n in keys.items() if n > 1]
    read = {item.sha256 for item in draw.inputs if item.expect != SKIP}
    staged = {r["file_sha256"] for r in outcomes.submissions}
    problems += [f"content {sha[:12]} staged but not landed" for sha in staged - read]
    problems += [f"{item!r} not staged" for item in draw.inputs if item.sha256 in read - staged]
    for row in outcomes.submissions:
        held = outcomes.observations_by_submission.get(row["submission_id"], 0)
        if held != row["n_values"]:
            problems.append(f"{row['source_file']!r}: {held} values staged, {row['n_values']} said")
    if outcomes.orphan_observations:
        problems.append(f"{outcomes.orphan_observations} values without their submission")
    return problems


# ------------------------------------------------------------------ what a night published

# The columns that say what was published, not when: run ids, arrival and staging times,
# and what derives from them (deadlines met by arrival date, completeness rates), left out.
FACT_COLUMNS = (
    "unit_key",
    "indicator_code",
    "period_code",
    "value",
    "qualifier",
    "denominator",
    "is_estimate",
    "target_text",
    "target_low",
    "target_high",
    "original_text",
    "quality_status",
    "quality_notes",
    "submission_id",
    "report_date",
    "source_file",
    "file_sha256",
    "source_sheet",
    "source_cell",
    "n_versions",
)
STATUS_COLUMNS = (
    "submission_id",
    "unit_key",
    "period_code",
    "source_file",
    "source_sheet",
    "status",
    "n_values",
    "n_errors",
    "n_warnings",
    "reason",
    "report_date",
    "n_unmapped_rows",
    "raw_status",
    "is_superseded",
    "superseded_by_submission_id",
    "n_current_values",
    "n_error_issues",
    "n_warning_issues",
)


def published_content(warehouse: Path) -> dict[str, list[tuple]]:
    """``marts.fct_indicator_value`` and ``marts.rpt_submission_status`` by their content
    columns, sorted: two warehouses that published the same data compare equal."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            relation: sorted(
                con.execute(f"select {', '.join(columns)} from marts.{relation}").fetchall(),
                key=repr,
            )
            for relation, columns in (
                ("fct_indicator_value", FACT_COLUMNS),
                ("rpt_submission_status", STATUS_COLUMNS),
            )
        }
    finally:
        con.close()


def content_differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> list[str]:
    """A few lines saying how two :func:`published_content` differ (empty: they do not)."""
    lines = []
    for relation in want:
        extra = sorted(set(got[relation]) - set(want[relation]), key=repr)
        missing = sorted(set(want[relation]) - set(got[relation]), key=repr)
        if extra or missing or len(got[relation]) != len(want[relation]):
            lines.append(
                f"{relation}: {len(got[relation])} rows, a clean run {len(want[relation])}; "
                f"{len(extra)} not in the clean run, e.g. {extra[:2]}; "
                f"{len(missing)} missing, e.g. {missing[:2]}"
            )
    return lines
