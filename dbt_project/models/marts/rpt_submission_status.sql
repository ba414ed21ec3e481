with submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        source_file,
        source_sheet,
        report_date,
        received_at,
        raw_status,
        status,
        is_superseded,
        superseded_by_submission_id,
        n_values,
        n_errors,
        n_warnings,
        n_unmapped_rows,
        reason
    from {{ ref('int_submissions__status') }}
),

units as (
    select
        unit_key,
        unit_name,
        district_key,
        province_key
    from {{ ref('dim_admin_unit') }}
),

current_values as (
    select
        submission_id,
        count(*) as n_current_values
    from {{ ref('int_observations__current') }}
    group by submission_id
),

issue_counts as (
    select
        submission_id,
        count(*) filter (where severity = 'error') as n_error_issues,
        count(*) filter (where severity = 'warning') as n_warning_issues
    from {{ ref('stg_raw__issues') }}
    group by submission_id
)

select
    submissions.submission_id,
    submissions.unit_key,
    submissions.period_code,
    submissions.source_file,
    submissions.source_sheet,
    submissions.status,
    submissions.received_at,
    submissions.n_values,
    submissions.n_errors,
    submissions.n_warnings,
    submissions.reason,
    units.unit_name,
    units.district_key,
    units.province_key,
    submissions.report_date,
    submissions.n_unmapped_rows,
    submissions.raw_status,
    submissions.is_superseded,
    submissions.superseded_by_submission_id,
    coalesce(current_values.n_current_values, 0) as n_current_values,
    coalesce(issue_counts.n_error_issues, 0) as n_error_issues,
    coalesce(issue_counts.n_warning_issues, 0) as n_warning_issues
from submissions
left join units
    on submissions.unit_key = units.unit_key
left join current_values
    on submissions.submission_id = current_values.submission_id
left join issue_counts
    on submissions.submission_id = issue_counts.submission_id
