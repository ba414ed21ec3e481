-- Which wards were expected to report for which period, and whether and when they did.
--
-- Scope: the deployment covers the districts (pre2025) or provinces (2025) from which at
-- least one accepted submission has ever come, so a town running chitieu is not held to
-- account for the whole country. Periods: every period that at least one accepted
-- submission reports as its own period_code (year columns of a term sheet do not count:
-- they are retrospective copies, not the yearly report). Expected wards for a period: all
-- wards in scope of each scheme its reporting wards belong to (the resolver only gives
-- pre2025 units for periods ending before 2025-07-01, so a period gets the 2025 wards only
-- when 2025 wards reported it). Only accepted submissions count as reported: a rejected
-- sheet has to be sent again. The first accepted report (earliest usable report date, else
-- date received) decides timeliness, so a later correction does not make a ward late. The
-- usable report date is int_submissions__status's: a date the gate judged implausible (in
-- the future, or before the period) is not used, and the date received stands in for it.

with submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        report_date,
        usable_report_date,
        received_at
    from {{ ref('int_submissions__status') }}
    where
        raw_status = 'accepted'
        and unit_key is not null
        and period_code is not null
),

units as (
    select
        unit_key,
        scheme,
        level,
        district_key,
        province_key
    from {{ ref('dim_admin_unit') }}
),

periods as (
    select
        period_code,
        period_type,
        end_date,
        deadline
    from {{ ref('int_period_deadlines') }}
),

wards as (
    select
        unit_key,
        scheme,
        district_key,
        province_key,
        case when scheme = 'pre2025' then district_key else province_key end as scope_key
    from units
    where level = 'ward'
),

accepted as (
    select
        submissions.submission_id,
        submissions.unit_key,
        submissions.period_code,
        submissions.report_date,
        submissions.received_at,
        wards.scheme,
        wards.scope_key,
        coalesce(submissions.usable_report_date, cast(submissions.received_at as date)) as reported_on
    from submissions
    inner join wards
        on submissions.unit_key = wards.unit_key
),

scope as (
    select distinct
        scheme,
        scope_key
    from accepted
    where scope_key is not null
),

expected_periods as (
    select distinct
        period_code,
        scheme
    from accepted
),

expected as (
    select
        expected_periods.period_code,
        wards.unit_key,
        wards.scheme,
        wards.district_key,
        wards.province_key
    from expected_periods
    inner join wards
        on expected_periods.scheme = wards.scheme
    inner join scope
        on
            wards.scheme = scope.scheme
            and wards.scope_key = scope.scope_key
),

ranked_reports as (
    select
        unit_key,
        period_code,
        submission_id,
        report_date,
        received_at,
        reported_on,
        row_number() over (
            partition by unit_key, period_code
            order by reported_on asc, received_at asc, submission_id asc
        ) as report_rank,
        count(*) over (partition by unit_key, period_code) as n_accepted_submissions
    from accepted
),

first_reports as (
    select
        unit_key,
        period_code,
        submission_id,
        report_date,
        received_at,
        reported_on,
        n_accepted_submissions
    from ranked_reports
    where report_rank = 1
)

select
    expected.unit_key,
    expected.period_code,
    expected.scheme,
    expected.district_key,
    expected.province_key,
    periods.period_type,
    periods.end_date,
    periods.deadline,
    first_reports.submission_id is not null as reported,
    first_reports.submission_id as first_submission_id,
    first_reports.report_date as first_report_date,
    first_reports.received_at,
    first_reports.reported_on,
    case
        when first_reports.submission_id is not null and periods.deadline is not null
            then first_reports.reported_on <= periods.deadline
    end as is_on_time,
    case
        when first_reports.submission_id is not null and periods.deadline is not null
            then greatest(date_diff('day', periods.deadline, first_reports.reported_on), 0)
    end as days_late,
    coalesce(first_reports.n_accepted_submissions, 0) as n_accepted_submissions
from expected
left join periods
    on expected.period_code = periods.period_code
left join first_reports
    on
        expected.unit_key = first_reports.unit_key
        and expected.period_code = first_reports.period_code
