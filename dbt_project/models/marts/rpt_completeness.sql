-- Completeness and timeliness of reporting: one row per expected ward × period, and per
-- district and province of the wards in scope × period. Who was expected, and when a
-- report is on time, are decided in int_expected_reports; this model only counts.

with expected as (
    select
        unit_key,
        period_code,
        scheme,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        reported,
        first_submission_id,
        first_report_date,
        received_at,
        is_on_time,
        days_late
    from {{ ref('int_expected_reports') }}
),

units as (
    select
        unit_key,
        unit_name
    from {{ ref('dim_admin_unit') }}
),

ward_rows as (
    select
        unit_key,
        period_code,
        scheme,
        'ward' as level,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        1 as n_units_expected,
        case when reported then 1 else 0 end as n_units_reported,
        case when is_on_time then 1 else 0 end as n_units_on_time,
        case when not is_on_time then 1 else 0 end as n_units_late,
        reported,
        first_submission_id,
        first_report_date,
        received_at,
        is_on_time,
        days_late
    from expected
),

district_rows as (
    select
        district_key as unit_key,
        period_code,
        scheme,
        'district' as level,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        count(*) as n_units_expected,
        count(*) filter (where reported) as n_units_reported,
        count(*) filter (where is_on_time) as n_units_on_time,
        count(*) filter (where not is_on_time) as n_units_late,
        cast(null as boolean) as reported,
        cast(null as varchar) as first_submission_id,
        cast(null as date) as first_report_date,
        cast(null as timestamp) as received_at,
        cast(null as boolean) as is_on_time,
        cast(null as integer) as days_late
    from expected
    where district_key is not null
    group by
        district_key,
        period_code,
        scheme,
        province_key,
        period_type,
        end_date,
        deadline
),

province_rows as (
    select
        province_key as unit_key,
        period_code,
        scheme,
        'province' as level,
        cast(null as varchar) as district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        count(*) as n_units_expected,
        count(*) filter (where reported) as n_units_reported,
        count(*) filter (where is_on_time) as n_units_on_time,
        count(*) filter (where not is_on_time) as n_units_late,
        cast(null as boolean) as reported,
        cast(null as varchar) as first_submission_id,
        cast(null as date) as first_report_date,
        cast(null as timestamp) as received_at,
        cast(null as boolean) as is_on_time,
        cast(null as integer) as days_late
    from expected
    where province_key is not null
    group by
        province_key,
        period_code,
        scheme,
        period_type,
        end_date,
        deadline
),

unioned as (
    select
        unit_key,
        period_code,
        scheme,
        level,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        n_units_expected,
        n_units_reported,
        n_units_on_time,
        n_units_late,
        reported,
        first_submission_id,
        first_report_date,
        received_at,
        is_on_time,
        days_late
    from ward_rows
    union all
    select
        unit_key,
        period_code,
        scheme,
        level,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        n_units_expected,
        n_units_reported,
        n_units_on_time,
        n_units_late,
        reported,
        first_submission_id,
        first_report_date,
        received_at,
        is_on_time,
        days_late
    from district_rows
    union all
    select
        unit_key,
        period_code,
        scheme,
        level,
        district_key,
        province_key,
        period_type,
        end_date,
        deadline,
        n_units_expected,
        n_units_reported,
        n_units_on_time,
        n_units_late,
        reported,
        first_submission_id,
        first_report_date,
        received_at,
        is_on_time,
        days_late
    from province_rows
)

select
    unioned.unit_key,
    unioned.period_code,
    unioned.scheme,
    unioned.level,
    units.unit_name,
    unioned.district_key,
    unioned.province_key,
    unioned.period_type,
    unioned.end_date as period_end_date,
    unioned.deadline,
    cast(unioned.n_units_expected as integer) as n_units_expected,
    cast(unioned.n_units_reported as integer) as n_units_reported,
    cast(unioned.n_units_on_time as integer) as n_units_on_time,
    cast(unioned.n_units_late as integer) as n_units_late,
    cast(unioned.n_units_expected - unioned.n_units_reported as integer) as n_units_missing,
    100.0 * {{ safe_divide('unioned.n_units_reported', 'unioned.n_units_expected') }} as completeness_pct,
    case
        when unioned.deadline is not null
            then 100.0 * {{ safe_divide('unioned.n_units_on_time', 'unioned.n_units_expected') }}
    end as timeliness_pct,
    unioned.reported,
    unioned.first_submission_id,
    unioned.first_report_date,
    unioned.received_at,
    unioned.is_on_time,
    unioned.days_late
from unioned
left join units
    on unioned.unit_key = units.unit_key
