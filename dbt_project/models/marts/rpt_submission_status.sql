with submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        source_file,
        source_sheet,
        report_date,
        report_date_used,
        usable_report_date,
        received_at,
        raw_status,
        status,
        is_superseded,
        superseded_by_submission_id,
        supersession_basis,
        n_values,
        n_errors,
        n_warnings,
        n_unmapped_rows,
        reason,
        source_kind,
        version_group
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
),

deadlines as (
    select
        period_code,
        deadline
    from {{ ref('int_period_deadlines') }}
),

completeness as (
    select
        unit_key,
        period_code,
        completeness_pct,
        timeliness_pct
    from {{ ref('rpt_completeness') }}
    where level in ('district', 'province')
),

timed as (
    -- The submission's own timing: its usable report date (else the day its file arrived)
    -- against its period's deadline, whatever its status.
    select
        submissions.submission_id,
        deadlines.deadline,
        coalesce(submissions.usable_report_date, cast(submissions.received_at as date)) as reported_on
    from submissions
    inner join deadlines
        on submissions.period_code = deadlines.period_code
    where deadlines.deadline is not null
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
    coalesce(issue_counts.n_warning_issues, 0) as n_warning_issues,
    timed.deadline,
    timed.reported_on <= timed.deadline as is_on_time,
    case
        when timed.deadline is not null
            then greatest(date_diff('day', timed.deadline, timed.reported_on), 0)
    end as days_late,
    district_completeness.completeness_pct as district_completeness_pct,
    district_completeness.timeliness_pct as district_timeliness_pct,
    province_completeness.completeness_pct as province_completeness_pct,
    province_completeness.timeliness_pct as province_timeliness_pct,
    submissions.supersession_basis,
    submissions.report_date_used,
    submissions.source_kind,
    submissions.version_group
from submissions
left join units
    on submissions.unit_key = units.unit_key
left join current_values
    on submissions.submission_id = current_values.submission_id
left join issue_counts
    on submissions.submission_id = issue_counts.submission_id
left join timed
    on submissions.submission_id = timed.submission_id
left join completeness as district_completeness
    on
        units.district_key = district_completeness.unit_key
        and submissions.period_code = district_completeness.period_code
left join completeness as province_completeness
    on
        units.province_key = province_completeness.unit_key
        and submissions.period_code = province_completeness.period_code
