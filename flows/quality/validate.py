"""The validate stage: the Great Expectations gate every submission passes before it is
staged, and the verdicts it records on the submissions.

The suites (:mod:`flows.quality.suites`) are checked in order: the submissions'
identities, then every value, the cross-value rules, and the outliers against the
published history (:mod:`flows.quality.history`). A failed identity rejects the whole
submission; a failed value or ``error`` rule rejects that value only; outliers and
``warning`` rules load the value marked ``warning`` (a cross-value rule marks every value
it names, since it cannot say which side is wrong).

The whole night is validated at once, suite by suite, with the cheap ``SUMMARY``
result format; only expectations that failed are run again with ``COMPLETE`` to learn
which rows failed (``COMPLETE`` on every expectation costs far more on large frames).

Cheaper than parsing (``bench/bench_validate.py``): the night's values become one frame,
built once; the catalog ranges are one pair of vectorised expectations over per-row
bounds, not 35 row-conditioned ones; the GE context and suites are built once per
process and shared by every gate; Data Docs templates are compiled once per machine.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from flows.domain.catalog import Catalog, load_catalog
from flows.domain.periods import period_first_day
from flows.domain.textnorm import fold
from flows.quality import cross_value, outliers, rulebook
from flows.quality.history import HISTORY_COLUMNS, _current
from flows.quality.messages import (
    _early_report_date_message,
    _future_report_date_message,
    _message,
    _outlier_message,
    _rule_message,
)
from flows.quality.suites import SUITE_NAMES, _gx, build_suites, catalog_ranges
from flows.reading.metadata import METADATA_LABELS
from flows.reading.submission import Issue, Submission


@dataclass
class GateReport:
    """What the gate did this run, for the run summary."""

    submissions_checked: int = 0
    submissions_rejected: int = 0
    values_checked: int = 0
    values_rejected: int = 0
    values_warned: int = 0
    issues_by_rule: dict[str, int] = field(default_factory=dict)
    verdict_digest: str = ""
    docs_index: str | None = None
    seconds_by_suite: dict[str, float] = field(default_factory=dict)


_PERIOD_LABELS = {"ky bao cao", "ky", "thoi ky", "nam bao cao"}
_REPORT_DATE_LABELS = set(METADATA_LABELS["report_date"])
# A clerk's today (Vietnam, UTC+7) may be the archive's tomorrow: one day of slack.
REPORT_DATE_SLACK = timedelta(days=1)


def _as_written(metadata: dict[str, str], labels: set[str]) -> str:
    """A metadata value as the clerk typed it, whatever label spelling the sheet used."""
    for label, value in metadata.items():
        if fold(label).strip(" :") in labels:
            return str(value)
    return ""


def report_date_issue(submission: Submission) -> Issue | None:
    """The warning of a report date that cannot choose the latest version of a report:
    more than :data:`REPORT_DATE_SLACK` after its file was received, or before the first
    day of its period. None without a report date, or with a plausible one."""
    day, start = submission.report_date, period_first_day(submission.period_code)
    if day is None:
        return None
    written = _as_written(submission.metadata, _REPORT_DATE_LABELS) or f"{day:%d/%m/%Y}"
    received = submission.file.received_at.date()
    if day > received + REPORT_DATE_SLACK:
        vi, en = _future_report_date_message(written, received)
    elif start is not None and day < start:
        vi, en = _early_report_date_message(written, str(submission.period_code), start)
    else:
        return None
    return Issue(rulebook.severity("report_date_implausible"), "report_date_implausible", vi, en)


# The columns each suite is given: GE copies and filters the frames it validates, so
# it never sees the text columns the messages need.
VALUE_SUITE_COLUMNS = [
    "row_id",
    "indicator_code",
    "period_code",
    "qualifier",
    "value",
    "value_type",
    "fractional_part",
    "min_allowed",
    "max_allowed",
]
DOCS_SITE = "run"


@dataclass
class _Engine:
    """A GE ephemeral context holding the suites, one pandas asset per suite.

    Built once per process for a catalog and a rules file (see :func:`_engine`): the
    context, its data source and the suites are slow to build, the GE import slower.
    GE's context is not safe for two validations at once, so ``lock`` serialises them.
    """

    context: object
    batches: dict[str, object]
    suites: dict[str, object]
    lock: threading.RLock = field(default_factory=threading.RLock)


_ENGINES: dict[tuple, _Engine] = {}
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 4  # a test session builds gates for a few catalogs; a night uses one


def _engine_key(catalog: Catalog, rules: list[cross_value.ValidationRule]) -> tuple:
    """What the suites are generated from: indicator codes, ranges and rules."""
    codes = tuple(sorted(indicator.indicator_code for indicator in catalog))
    return codes, tuple(catalog_ranges(catalog).items()), tuple(rules)


def _engine(catalog: Catalog, rules: list[cross_value.ValidationRule]) -> _Engine:
    """This process's engine for ``catalog`` and ``rules``, built on first use."""
    key = _engine_key(catalog, rules)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _new_engine(catalog, rules)
            while len(_ENGINES) >= _MAX_ENGINES:
                _ENGINES.pop(next(iter(_ENGINES)))
            _ENGINES[key] = engine
        return engine


def warm_up(
    catalog: Catalog | None = None, rules: list[cross_value.ValidationRule] | None = None
) -> None:
    """Import GE and build this process's context and suites now, e.g. on a thread while
    the parse workers run (the GE import is most of a small night's validation).

    Thread-safe; the gates built later reuse what it built. Start it only once any
    process pool has forked its workers: a fork during an import can hang the child.
    """
    _engine(catalog or load_catalog(), rules if rules is not None else rulebook.validation_rules())


def _new_engine(catalog: Catalog, rules: list[cross_value.ValidationRule]) -> _Engine:
    """A fresh ephemeral context, progress bars off, with the suites and their assets."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("submissions")
    batches = {
        name: source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("night")
        for name in SUITE_NAMES
    }
    suites = {
        name: context.suites.add(suite) for name, suite in build_suites(catalog, rules).items()
    }
    return _Engine(context=context, batches=batches, suites=suites)


class QualityGate:
    """chitieu's Great Expectations gate: the suites in a GE context and the checks.

    The context is built once per process and shared by every gate of the same catalog
    and rules (so a gate is cheap to create, per run or per chunk). ``docs_dir``: when
    given, GE Data Docs of this gate's validations are built there (one validation
    result per suite per run).
    """

    def __init__(
        self,
        catalog: Catalog,
        rules: list[cross_value.ValidationRule] | None = None,
        docs_dir: Path | None = None,
    ) -> None:
        self._catalog = catalog
        self.rules = rules if rules is not None else rulebook.validation_rules()
        self._value_types = {i.indicator_code: i.value_type for i in catalog}
        self._ranges = catalog_ranges(catalog)
        self._engine = _engine(catalog, self.rules)
        self._context = self._engine.context
        self._batches = self._engine.batches
        self.docs_dir = Path(docs_dir) if docs_dir else None
        if self.docs_dir is not None:
            with self._engine.lock:
                self._start_docs_site()
        self.suites = self._engine.suites
        self.identity_suite = self.suites["submission_identity"]
        self.value_suite = self.suites["observation_values"]
        self.rules_suite = self.suites["validation_rules"]
        self.outlier_suite = self.suites["value_outliers"]
        self._results: dict[str, object] = {}
        self._peer_groups: pd.Series | None = None

    # -------------------------------------------------------------- entry point

    def check(
        self,
        submissions: list[Submission],
        history: pd.DataFrame | None = None,
        run_id: str | None = None,
    ) -> GateReport:
        """Validate identities, values, rules, outliers; record verdicts on the submissions.

        ``history``: current values of the published warehouse (:func:`published_values`)
        for the outlier checks; the night's own values are always part of it.

        The night's values become one frame, built once; each suite sees the rows still
        standing (``kept``), and rejected values leave their submissions at the end.
        """
        report = GateReport()
        self._results = {}
        timer = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal timer
            now = time.perf_counter()
            report.seconds_by_suite[name] = round(now - timer, 3)
            timer = now

        candidates = [s for s in submissions if not s.is_rejected]
        report.submissions_checked = len(candidates)
        self._check_identities(candidates)
        lap("submission_identity")
        accepted = [s for s in candidates if not s.is_rejected]
        report.values_checked = sum(len(s.observations) for s in accepted)
        night = self._night_frame(accepted)
        kept = np.ones(len(night), dtype=bool)
        rejected = self._check_values(accepted, night, kept)
        lap("observation_values")
        rejected += self._check_rules(accepted, night, kept)
        lap("validation_rules")
        self._check_outliers(accepted, night, kept, history)
        _drop_rows(accepted, night, kept)
        lap("value_outliers")
        report.values_rejected = rejected
        for submission in accepted:
            if issue := report_date_issue(submission):  # a warning: never rejects
                submission.issues.append(issue)
            # A report's prose holds candidates, not values: a reviewer loads them later.
            if (
                not submission.observations
                and not submission.is_rejected
                and submission.source_kind != "document"
            ):
                submission.reject(
                    Issue(
                        rulebook.severity("no_values"),
                        "no_values",
                        "Trang tính có bảng chỉ tiêu nhưng không có giá trị nào đọc được.",
                        "The sheet has an indicator table but no readable value.",
                    )
                )
        report.submissions_rejected = sum(s.is_rejected for s in candidates)
        report.values_warned = sum(len(warned_cells(s)) for s in accepted if not s.is_rejected)
        report.issues_by_rule = issues_by_rule(submissions)
        report.verdict_digest = verdict_digest(submissions)
        if self.docs_dir is not None:
            report.docs_index = self.render_docs({"night": self._results}, run_id or "run")
            lap("data_docs")
        return report

    # -------------------------------------------------------------- GE plumbing

    def _failures(self, name: str, frame: pd.DataFrame) -> list[tuple[dict, list[int]]]:
        """(meta, failing row_ids) for each expectation of suite ``name`` that failed.

        The whole suite runs once with the cheap ``SUMMARY`` format; only an expectation
        that failed runs again with ``COMPLETE`` to learn its failing ``row_id``s.
        """
        if frame.empty:
            return []
        with self._engine.lock:
            suite = self.suites[name]
            batch = self._batches[name].get_batch(batch_parameters={"dataframe": frame})
            summary = batch.validate(suite, result_format="SUMMARY")
            self._results[name] = summary
            failures = []
            for result in summary.results:
                if result.success:
                    continue
                if result.exception_info and result.exception_info.get("raised_exception"):
                    raise RuntimeError(
                        f"Expectation {result.expectation_config.type} could not run: "
                        f"{result.exception_info.get('exception_message')}"
                    )
                detail = batch.validate(
                    result.expectation_config.to_domain_obj(),
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": ["row_id"],
                    },
                )
                rows = sorted(
                    int(item["row_id"]) for item in detail.result.get("unexpected_index_list") or []
                )
                failures.append((result.expectation_config.meta or {}, rows))
        return failures

    def _start_docs_site(self) -> None:
        """Point the context's Data Docs site at this gate's folder, with no results yet.

        The context is shared by the gates of this process: the site is re-pointed and the
        (in-memory) results store emptied, so a site shows one run's results only.
        """
        page_view = {"module_name": __name__, "class_name": "CachedJinjaPageView"}
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(self.docs_dir),
            },
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "view": {"module_name": __name__, "class_name": "CachedJinjaIndexPageView"},
            },
            "site_section_builders": {
                section: {"view": page_view}
                for section in ("expectations", "validations", "profiling")
            },
        }
        if DOCS_SITE in self._context.get_site_names():
            self._context.update_data_docs_site(DOCS_SITE, site)
        else:
            self._context.add_data_docs_site(DOCS_SITE, site)
        store = self._context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)

    def render_docs(
        self, results_by_batch: dict[str, dict[str, object]], run_id: str
    ) -> str | None:
        """Render validation results as this gate's Data Docs site; the index page's path.

        ``results_by_batch``: ``{batch name: {suite name: validation result}}``, e.g.
        ``{"night": …}`` for one machine, ``{"part-000": …, …}`` for parts validated
        elsewhere.
        """
        if self.docs_dir is None:
            raise ValueError("this gate has no docs_dir")
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        # Given, not left to GE: without a run_time, GE parses the run name as a date, and
        # a run id such as 20261129T044001-9449ad reads as an offset beyond 24 h and fails.
        run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        with self._engine.lock:
            self._start_docs_site()
            store = self._context.validation_results_store
            for batch_name, results in results_by_batch.items():
                for name, result in results.items():
                    key = ValidationResultIdentifier(
                        expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                        run_id=run,
                        batch_identifier=batch_name,
                    )
                    store.set(key, result)
            self._context.build_data_docs(site_names=[DOCS_SITE])
        index = self.docs_dir / "index.html"
        return str(index) if index.exists() else None

    @property
    def last_results(self) -> dict[str, object]:
        """The GE validation results of the last :meth:`check`, by suite name."""
        return dict(self._results)

    def _build_docs(self, run_id: str) -> str | None:
        """Store this run's validation results and render the Data Docs site."""
        return self.render_docs({"night": self._results}, run_id)

    # -------------------------------------------------------------- identity

    def _check_identities(self, submissions: list[Submission]) -> None:
        frame = pd.DataFrame(
            {
                "row_id": range(len(submissions)),
                "unit_key": [s.unit_key for s in submissions],
                "period_code": [s.period_code for s in submissions],
            }
        )
        for meta, rows in self._failures("submission_identity", frame):
            for row_id in rows:
                submission = submissions[int(row_id)]
                rule = meta.get("rule", "identity")
                if rule == "unit_known":
                    vi, en = (
                        "Không xác định được đơn vị báo cáo.",
                        "The reporting unit could not be identified.",
                    )
                else:
                    written = _as_written(submission.metadata, _PERIOD_LABELS)
                    vi, en = (
                        f"Kỳ báo cáo '{written}' không hợp lệ hoặc bị thiếu; hãy "
                        "ghi ví dụ 'Năm 2022', 'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                        f"The reporting period '{written}' is missing or not valid; write e.g. "
                        "'Năm 2022', 'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                    )
                submission.reject(Issue(rulebook.severity(rule), rule, vi, en))

    # -------------------------------------------------------------- the night's values

    def _night_frame(self, submissions: list[Submission]) -> pd.DataFrame:
        """One row per value of the night, in submission then observation order.

        ``row_id`` is the row's position, the same for every suite. Built column by column
        from the observations (one pass each), with each value's type and catalog bounds.
        """
        observations = [obs for submission in submissions for obs in submission.observations]
        counts = [len(submission.observations) for submission in submissions]
        values = np.array([obs.value for obs in observations], dtype=float)
        codes = pd.Series([obs.indicator_code for obs in observations], dtype=object)
        lows = {code: low for code, (low, _) in self._ranges.items() if low is not None}
        highs = {code: high for code, (_, high) in self._ranges.items() if high is not None}
        return pd.DataFrame(
            {
                "row_id": np.arange(len(observations)),
                "submission_index": np.repeat(np.arange(len(submissions)), counts),
                "indicator_code": codes,
                "period_code": pd.Series([o.period_code for o in observations], dtype=object),
                "value": values,
                "qualifier": pd.Series([o.qualifier for o in observations], dtype=object),
                "original_text": pd.Series([o.original_text for o in observations], dtype=object),
                "source_cell": pd.Series([o.source_cell for o in observations], dtype=object),
                "is_estimate": np.array([o.is_estimate for o in observations], dtype=bool),
                "value_type": codes.map(self._value_types),
                "fractional_part": values % 1,
                "min_allowed": codes.map(lows).astype(float),
                "max_allowed": codes.map(highs).astype(float),
            }
        )

    def _check_values(
        self, submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray
    ) -> int:
        """The value suite on every value; a failing value is rejected (``kept`` False)."""
        failing: dict[int, list[dict]] = {}
        for meta, rows in self._failures("observation_values", night[VALUE_SUITE_COLUMNS]):
            for row_id in rows:
                metas = failing.setdefault(row_id, [])
                if meta.get("rule") == "in_range":
                    if any(m.get("rule") == "in_range" for m in metas):
                        continue  # below the minimum or above the maximum: one message
                    low, high = self._ranges[night.at[row_id, "indicator_code"]]
                    meta = {"rule": "in_range", "min": low, "max": high}
                metas.append(meta)
        if not failing:
            return 0
        rows = sorted(failing)
        for row in night.iloc[rows].itertuples(index=False):
            submission = submissions[int(row.submission_index)]
            for meta in failing[int(row.row_id)]:
                rule = meta.get("rule", "value")
                vi, en = _message(meta, row)
                submission.issues.append(
                    Issue(
                        rulebook.severity(rule),
                        rule,
                        vi,
                        en,
                        indicator_code=row.indicator_code,
                        period_code=row.period_code,
                        source_cell=row.source_cell,
                    )
                )
        kept[rows] = False
        return len(rows)

    # -------------------------------------------------------------- rules

    def _rule_frame(self, values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(wide, cells): one row per submission × period with a column per indicator
        and a ``check_<rule_id>`` column per rule; the cell of each wide value."""
        keys = ["submission_index", "period_code"]
        # Bounds and approximations ('trên 300 triệu', 'khoảng 200') cannot be compared
        # exactly: rules only use values the clerk gave as exact numbers.
        exact = values[values["qualifier"] == "="].drop_duplicates(
            [*keys, "indicator_code"], keep="first"
        )
        wide = exact.pivot(index=keys, columns="indicator_code", values="value")
        cells = exact.pivot(index=keys, columns="indicator_code", values="source_cell")
        wide = wide.reset_index()
        wide.columns.name = None
        checks = {}
        for rule in self.rules:
            checks[rule.column] = rule.compute(wide)[2]
        wide = pd.concat([wide, pd.DataFrame(checks, index=wide.index)], axis=1)
        wide.insert(0, "row_id", range(len(wide)))
        return wide, cells.reset_index(drop=True)

    def _check_rules(
        self, submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray
    ) -> int:
        """The rules suite on the values still standing. A failed ``warning`` rule marks
        every value it names (the rate and its parts, the part and its whole); an ``error``
        rule rejects its left side (``ValidationRule.marked_codes``)."""
        values = night[kept]
        if values.empty or not self.rules:
            return 0
        wide, cells = self._rule_frame(values)
        by_id = {rule.rule_id: rule for rule in self.rules}
        to_reject: set[tuple[int, str, str]] = set()
        for meta, rows in self._failures("validation_rules", wide[_rule_columns(wide)]):
            rule = by_id[meta["rule"]]
            left, right, _ = rule.compute(wide.iloc[rows])
            for row_id in rows:
                row = wide.iloc[row_id]
                submission = submissions[int(row.submission_index)]

                def cells_of(codes, row_id=row_id):
                    return [
                        cells.at[row_id, code] if code in cells.columns else None for code in codes
                    ]

                vi, en = _rule_message(
                    rule,
                    float(left.loc[row_id]),
                    float(right.loc[row_id]),
                    cells_of(rule.left.codes),
                    cells_of(rule.right.codes),
                )
                marked = rule.marked_codes
                for code, cell in zip(marked, cells_of(marked), strict=True):
                    submission.issues.append(
                        Issue(
                            rule.severity,
                            rule.rule_id,
                            vi,
                            en,
                            indicator_code=code,
                            period_code=row.period_code,
                            source_cell=cell,
                        )
                    )
                    if rule.severity == "error":
                        to_reject.add((int(row.submission_index), row.period_code, code))
        if not to_reject:
            return 0
        keys = pd.MultiIndex.from_frame(
            values[["submission_index", "period_code", "indicator_code"]]
        )
        rejected_rows = values["row_id"].to_numpy()[keys.isin(list(to_reject))]
        kept[rejected_rows] = False
        return len(rejected_rows)

    # -------------------------------------------------------------- outliers

    def units_compared_with(self, submissions: list[Submission]) -> set[str]:
        """The units whose published values the outlier checks of ``submissions`` can read.

        A value is compared with its own unit's earlier periods and with its peer group's
        current values (:func:`peer_groups`): each submission's unit and every unit of its
        peer group. Reading only these from the warehouse gives the same scores as reading
        it all, at a fraction of the cost on a night with a few corrected files.
        """
        own = {s.unit_key for s in submissions if s.unit_key}
        groups_of = self._groups_of_units()
        groups = set(groups_of.reindex(list(own)).dropna())
        return own | set(groups_of.index[groups_of.isin(groups)])

    def _groups_of_units(self) -> pd.Series:
        """:func:`peer_groups`, computed once per gate."""
        if self._peer_groups is None:
            self._peer_groups = peer_groups()
        return self._peer_groups

    def _peer_group(self, unit_keys: pd.Series) -> pd.Series:
        """The peer group of each unit (see :func:`peer_groups`)."""
        return unit_keys.map(self._groups_of_units())

    def _check_outliers(
        self,
        submissions: list[Submission],
        night: pd.DataFrame,
        kept: np.ndarray,
        history: pd.DataFrame | None,
    ) -> None:
        """Each value still standing against its unit's history and its peers; warnings."""
        live = np.array([not s.is_rejected for s in submissions], dtype=bool)
        values = night[kept & live[night["submission_index"].to_numpy()]]
        if values.empty:
            return
        # Per-submission facts, spread over the values by position (no per-row Python).
        position = values["submission_index"].to_numpy()
        unit_keys = np.array([s.unit_key for s in submissions], dtype=object)
        values = values.assign(unit_key=unit_keys[position])
        report_dates = pd.Series(  # as the warehouse ranks versions: not an implausible date
            [pd.Timestamp(None if report_date_issue(s) else s.report_date) for s in submissions],
            dtype="datetime64[ns]",
        )
        received = pd.Series(
            [pd.Timestamp(s.file.received_at) for s in submissions], dtype="datetime64[ns]"
        )
        submission_ids = np.array([s.submission_id for s in submissions], dtype=object)
        tonight = values.assign(
            report_date=report_dates.to_numpy()[position],
            received_at=received.to_numpy()[position],
            submission_id=submission_ids[position],
        )[HISTORY_COLUMNS]
        frames = [tonight]
        if history is not None and not history.empty:
            published = history[HISTORY_COLUMNS].copy()
            published["report_date"] = pd.to_datetime(published["report_date"])
            published["received_at"] = pd.to_datetime(published["received_at"])
            frames.append(published)
        reference = _current(pd.concat(frames, ignore_index=True).dropna(subset=["value"]))
        reference = reference.assign(
            value=reference["value"].astype(float),
            value_type=reference["indicator_code"].map(self._value_types),
            peer_group=self._peer_group(reference["unit_key"]),
        )
        scored = values.assign(peer_group=self._peer_group(values["unit_key"]))
        scored = scored.merge(
            outliers.history_scores(
                scored[
                    ["row_id", "unit_key", "indicator_code", "period_code", "value", "value_type"]
                ],
                reference,
            ),
            on="row_id",
            how="left",
        ).merge(
            outliers.peer_scores(
                scored[
                    ["row_id", "peer_group", "indicator_code", "period_code", "value", "value_type"]
                ],
                reference,
            ),
            on="row_id",
            how="left",
        )
        scored = scored.sort_values("row_id").reset_index(drop=True)
        checked = scored[["row_id", "history_z", "peer_z"]]
        by_row_id = pd.Series(scored.index, index=scored["row_id"])
        for meta, rows in self._failures("value_outliers", checked):
            # itertuples over the failing rows only: a Series per row is far slower
            for row in scored.iloc[by_row_id[rows].to_numpy()].itertuples(index=False):
                vi, en = _outlier_message(meta["rule"], row)
                submissions[int(row.submission_index)].issues.append(
                    Issue(
                        rulebook.severity(meta["rule"]),
                        meta["rule"],
                        vi,
                        en,
                        indicator_code=row.indicator_code,
                        period_code=row.period_code,
                        source_cell=row.source_cell,
                    )
                )


# ------------------------------------------------------------------ Data Docs views

# GE renders each Data Docs page section with a fresh jinja2 environment, which compiles
# its templates again on every build: most of the build. These views are GE's
# own, with jinja2's file bytecode cache (a private per-user folder in the temp
# directory, keyed by each template's source): each night after the first loads them
# compiled. The classes are made when GE's site builder asks this module for them, so
# importing flows.quality.validate still does not import GE.
_CACHED_VIEWS = {
    "CachedJinjaPageView": "DefaultJinjaPageView",
    "CachedJinjaIndexPageView": "DefaultJinjaIndexPageView",
}
_TEMPLATE_CACHE: list = []  # the one jinja2 bytecode cache of this process, once made


def _template_cache():
    if not _TEMPLATE_CACHE:
        import jinja2

        _TEMPLATE_CACHE.append(jinja2.FileSystemBytecodeCache())
    return _TEMPLATE_CACHE[0]


def __getattr__(name: str):
    """GE's page views with compiled templates cached (see ``_CACHED_VIEWS``)."""
    if name not in _CACHED_VIEWS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from great_expectations.render import view as ge_views

    base = getattr(ge_views, _CACHED_VIEWS[name])

    def __init__(self, *args, **kwargs) -> None:
        base.__init__(self, *args, **kwargs)
        self.env.bytecode_cache = _template_cache()

    view_class = type(name, (base,), {"__init__": __init__, "__module__": __name__})
    globals()[name] = view_class
    return view_class


def peer_groups() -> pd.Series:
    """unit_key → the group a ward's values are compared with for outliers.

    A pre-2025 ward's district, a 2025 ward's province (the 2025 scheme has no districts).
    """
    from flows.domain.reference import load_reference

    units = load_reference().admin_units
    wards = units[units["level"] == "ward"]
    return pd.Series(
        wards["district_key"].fillna(wards["province_key"]).to_numpy(),
        index=wards["unit_key"].to_numpy(),
    )


def _rule_columns(wide: pd.DataFrame) -> list[str]:
    return ["row_id", *(c for c in wide.columns if str(c).startswith("check_"))]


def _drop_rows(submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray) -> None:
    """Remove from their submissions the observations whose night rows are not ``kept``.

    Only the submissions that lost a value are rebuilt; a submission's rows are
    contiguous and in observation order, so a row's observation is its offset.
    """
    if kept.all():
        return
    position = night["submission_index"].to_numpy()
    counts = np.bincount(position, minlength=len(submissions))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for index in np.unique(position[~kept]):
        start = starts[index]
        keep = kept[start : start + counts[index]]
        submission = submissions[index]
        submission.observations = [
            obs for obs, stays in zip(submission.observations, keep, strict=True) if stays
        ]


def warned_cells(submission: Submission) -> dict[tuple[str, str, str], list[Issue]]:
    """Warnings of a submission by the value they concern (indicator, period, cell)."""
    warned: dict[tuple[str, str, str], list[Issue]] = {}
    for issue in submission.issues:
        if issue.severity == "warning" and issue.indicator_code and issue.source_cell:
            key = (issue.indicator_code, issue.period_code or "", issue.source_cell)
            warned.setdefault(key, []).append(issue)
    return warned


def issues_by_rule(submissions: list[Submission]) -> dict[str, int]:
    """``'severity:rule'`` → how many issues the submissions carry, in key order."""
    counts = Counter(f"{issue.severity}:{issue.rule}" for s in submissions for issue in s.issues)
    return dict(sorted(counts.items()))


def verdict_digest(submissions: list[Submission]) -> str:
    """SHA-256 of every verdict of the night, order-independent: equal runs, equal digest."""
    lines = sorted(
        "\t".join(
            str(part)
            for part in (
                s.submission_id,
                issue.severity,
                issue.rule,
                issue.indicator_code,
                issue.period_code,
                issue.source_cell,
                issue.message,
            )
        )
        for s in submissions
        for issue in s.issues
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
