"""DDL of the tables the pipeline writes and dbt reads as sources.

``raw`` holds every submission ever staged, append-only: a row is never updated
or deleted, so any value in ``marts`` can be traced to its file, sheet and cell.
``ref`` holds reference data rebuilt on every run from maintained packages.
"""

from __future__ import annotations

RAW_TABLES: dict[str, str] = {
    # One row per submission: a sheet holding an indicator table, or a whole
    # file that could not be read (source_sheet null).
    "submissions": """
        submission_id     VARCHAR PRIMARY KEY,  -- '<sha256[:16]>:<sheet index>' or ':file'
        run_id            VARCHAR NOT NULL,
        source_file       VARCHAR NOT NULL,     -- path relative to the landing folder
        file_sha256       VARCHAR NOT NULL,
        source_sheet      VARCHAR,
        unit_key          VARCHAR,              -- null when the unit is unknown
        period_code       VARCHAR,              -- the sheet's own period; null when unknown
        report_date       DATE,
        received_at       TIMESTAMP NOT NULL,   -- first arrival of this content in the
                                                -- archive (UTC), not the file's mtime
        staged_at         TIMESTAMP NOT NULL,
        status            VARCHAR NOT NULL,     -- 'accepted' or 'rejected'
        n_values          INTEGER NOT NULL,     -- values staged in raw.observations
        n_errors          INTEGER NOT NULL,     -- values or identity checks rejected
        n_warnings        INTEGER NOT NULL,
        n_unmapped_rows   INTEGER NOT NULL,
        reason            VARCHAR,              -- bilingual, Vietnamese first; null when clean
        unit_name_text    VARCHAR,              -- the unit as written on the sheet
        metadata_json     VARCHAR,              -- every metadata label/value found, as JSON
        source_kind       VARCHAR               -- 'spreadsheet', 'word_table' (a table of a
                                                -- report), 'document' (a report's prose:
                                                -- candidates, no values), 'review' (a
                                                -- reviewed workbook: narrative values);
                                                -- null on rows staged before it existed
    """,
    # One row per accepted value.
    "observations": """
        submission_id     VARCHAR NOT NULL,
        unit_key          VARCHAR NOT NULL,
        indicator_code    VARCHAR NOT NULL,
        period_code       VARCHAR NOT NULL,
        value             DOUBLE,
        qualifier         VARCHAR NOT NULL,     -- '=', '>', '<', '~'
        denominator       DOUBLE,               -- for '130/130'-style values
        is_estimate       BOOLEAN NOT NULL,
        target_text       VARCHAR,
        target_low        DOUBLE,
        target_high       DOUBLE,
        target_direction  VARCHAR,              -- 'at_least', 'at_most', 'range', 'exact'
        target_per_year   BOOLEAN,
        original_text     VARCHAR,              -- the cell as typed (text) or its number
        quality_status    VARCHAR NOT NULL,     -- 'ok' or 'warning'
        quality_notes     VARCHAR,
        source_file       VARCHAR NOT NULL,
        file_sha256       VARCHAR NOT NULL,
        source_sheet      VARCHAR NOT NULL,
        source_cell       VARCHAR NOT NULL,     -- 'F12'
        source_row        INTEGER NOT NULL,
        assessment_text   VARCHAR               -- the clerk's verdict on the row ('Đạt',
                                                -- 'Khó đạt'), from its Đánh giá column;
                                                -- null when none, and on rows staged
                                                -- before it existed
    """,
    # One row per problem found with a value or a submission.
    "issues": """
        submission_id     VARCHAR NOT NULL,
        severity          VARCHAR NOT NULL,     -- 'error' or 'warning'
        rule              VARCHAR NOT NULL,
        indicator_code    VARCHAR,
        period_code       VARCHAR,
        source_cell       VARCHAR,
        message           VARCHAR NOT NULL      -- bilingual, Vietnamese first
    """,
    # Table rows that matched no catalog indicator: kept for a curator.
    "unmapped_rows": """
        submission_id     VARCHAR NOT NULL,
        source_file       VARCHAR NOT NULL,
        source_sheet      VARCHAR NOT NULL,
        source_row        INTEGER NOT NULL,
        code_text         VARCHAR,
        name_text         VARCHAR,
        unit_text         VARCHAR,
        values_text       VARCHAR
    """,
    # One row per figure a report's prose states for a catalog indicator: a candidate
    # value until a reviewer accepts it (raw.review_decisions).
    "narrative_candidates": """
        candidate_id      VARCHAR NOT NULL,     -- stable: the same figure of the same
                                                -- document gives the same id on every run
        submission_id     VARCHAR NOT NULL,     -- the document's 'document' submission
        source_file       VARCHAR NOT NULL,
        file_sha256       VARCHAR NOT NULL,
        unit_key          VARCHAR,
        report_period_code VARCHAR,             -- the report's own period, from its header
        period_code       VARCHAR,              -- the period the figure is about
        indicator_code    VARCHAR NOT NULL,
        value             DOUBLE NOT NULL,
        qualifier         VARCHAR NOT NULL,     -- the word before the figure: 'trên', 'hơn',
                                                -- 'dưới', 'khoảng'; '' when none
        denominator       DOUBLE,
        reported_achievement_pct DOUBLE,        -- 'đạt 60% so với Nghị quyết'
        figure_text       VARCHAR NOT NULL,     -- the figure as written
        location          VARCHAR NOT NULL,     -- heading path and paragraph
        paragraph         INTEGER NOT NULL,
        sentence          VARCHAR NOT NULL,
        confidence        DOUBLE NOT NULL
    """,
    # One row per candidate a reviewed workbook decided on.
    "review_decisions": """
        submission_id     VARCHAR NOT NULL,     -- the reviewed workbook's submission
        candidate_id      VARCHAR NOT NULL,
        decision          VARCHAR NOT NULL,     -- 'accepted' or 'rejected'
        corrected_value   DOUBLE,
        corrected_period_code VARCHAR,
        note              VARCHAR
    """,
    # One row per pipeline run.
    "runs": """
        run_id            VARCHAR PRIMARY KEY,
        started_at        TIMESTAMP NOT NULL,
        finished_at       TIMESTAMP,
        raw_dir           VARCHAR NOT NULL,
        files_seen        INTEGER,
        summary_json      VARCHAR
    """,
}

REF_TABLES: dict[str, str] = {
    # Units of both schemes. Codes overlap between schemes, hence the scheme in the key.
    "admin_units": """
        unit_key          VARCHAR PRIMARY KEY,  -- '<scheme>:<code>'
        scheme            VARCHAR NOT NULL,     -- 'pre2025' or '2025'
        unit_code         VARCHAR NOT NULL,     -- GSO code
        unit_name         VARCHAR NOT NULL,     -- 'Phường Phổ Hòa'
        short_name        VARCHAR NOT NULL,     -- 'Phổ Hòa'
        unit_type         VARCHAR NOT NULL,     -- 'Phường', 'Xã', 'Thị trấn', 'Huyện', 'Tỉnh', ...
        level             VARCHAR NOT NULL,     -- 'ward', 'district', 'province'
        parent_key        VARCHAR,              -- the district or province above
        district_key      VARCHAR,              -- pre2025 wards only
        province_key      VARCHAR,              -- wards and districts
        area_km2          DOUBLE                -- 2025 wards only
    """,
    # How each pre-2025 ward went into the 2025 wards. share sums to 1 per old unit.
    "admin_crosswalk": """
        old_unit_key      VARCHAR NOT NULL,     -- 'pre2025:<ward code>'
        new_unit_key      VARCHAR NOT NULL,     -- '2025:<ward code>'
        share             DOUBLE NOT NULL,      -- part of the old unit given to the new one
        share_method      VARCHAR NOT NULL,     -- 'whole' or 'area'
        is_default_new_unit BOOLEAN NOT NULL
    """,
}


# Columns added to a raw table after warehouses were first published with it: a warehouse
# built before gets them (null on its old rows) when a run next opens it.
ADDED_RAW_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "submissions": [("source_kind", "VARCHAR")],
    "observations": [("assessment_text", "VARCHAR")],
}


def create_statements() -> list[str]:
    """``CREATE ... IF NOT EXISTS`` statements for both schemas, in order."""
    statements = ["CREATE SCHEMA IF NOT EXISTS raw", "CREATE SCHEMA IF NOT EXISTS ref"]
    for name, columns in RAW_TABLES.items():
        statements.append(f"CREATE TABLE IF NOT EXISTS raw.{name} ({columns})")
    for name, added in ADDED_RAW_COLUMNS.items():
        for column, column_type in added:
            statements.append(
                f"ALTER TABLE raw.{name} ADD COLUMN IF NOT EXISTS {column} {column_type}"
            )
    for name, columns in REF_TABLES.items():
        statements.append(f"CREATE TABLE IF NOT EXISTS ref.{name} ({columns})")
    return statements
