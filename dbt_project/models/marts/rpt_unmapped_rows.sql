with unmapped as (
    select
        submission_id,
        source_file,
        source_sheet,
        source_row,
        code_text,
        name_text,
        unit_text,
        values_text
    from {{ ref('stg_raw__unmapped_rows') }}
),

submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        status,
        received_at
    from {{ ref('int_submissions__status') }}
),

units as (
    select
        unit_key,
        unit_name
    from {{ ref('dim_admin_unit') }}
)

select
    unmapped.submission_id,
    unmapped.source_file,
    unmapped.source_sheet,
    unmapped.source_row,
    unmapped.code_text,
    unmapped.name_text,
    unmapped.unit_text,
    unmapped.values_text,
    submissions.unit_key,
    units.unit_name,
    submissions.period_code,
    submissions.status as submission_status,
    submissions.received_at
from unmapped
left join submissions
    on unmapped.submission_id = submissions.submission_id
left join units
    on submissions.unit_key = units.unit_key
