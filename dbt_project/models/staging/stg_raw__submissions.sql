with source as (
    select
        submission_id,
        run_id,
        source_file,
        file_sha256,
        source_sheet,
        unit_key,
        period_code,
        report_date,
        received_at,
        staged_at,
        status,
        n_values,
        n_errors,
        n_warnings,
        n_unmapped_rows,
        reason,
        unit_name_text,
        metadata_json,
        source_kind
    from {{ source('raw', 'submissions') }}
)

select
    cast(submission_id as varchar) as submission_id,
    cast(run_id as varchar) as run_id,
    cast(source_file as varchar) as source_file,
    cast(file_sha256 as varchar) as file_sha256,
    cast(source_sheet as varchar) as source_sheet,
    cast(unit_key as varchar) as unit_key,
    cast(period_code as varchar) as period_code,
    cast(report_date as date) as report_date,
    cast(received_at as timestamp) as received_at,
    cast(staged_at as timestamp) as staged_at,
    cast(status as varchar) as raw_status,
    cast(n_values as integer) as n_values,
    cast(n_errors as integer) as n_errors,
    cast(n_warnings as integer) as n_warnings,
    cast(n_unmapped_rows as integer) as n_unmapped_rows,
    cast(reason as varchar) as reason,
    cast(unit_name_text as varchar) as unit_name_text,
    cast(metadata_json as varchar) as metadata_json,
    -- Rows staged before the column existed are spreadsheets.
    cast(coalesce(source_kind, 'spreadsheet') as varchar) as source_kind
from source
