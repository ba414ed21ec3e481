-- The target of each ward × indicator × term × basis: the latest current target (by
-- report date, then arrival, then period end) among the ward's current observations
-- whose period lies in the term. A per-year target of a `sum` indicator (time
-- aggregation) counts once for each year of the window.

with observations as (
    select
        unit_key,
        indicator_code,
        period_code,
        target_value,
        target_low,
        target_high,
        target_direction,
        target_text,
        is_target_per_year,
        report_date,
        received_at,
        submission_id
    from {{ ref('int_observations__current') }}
    where
        target_value is not null
        and {{ only_units_to_rebuild('unit_key') }}
),

periods as (
    select
        period_code,
        end_date,
        term_code
    from {{ ref('int_periods') }}
),

windows as (
    select distinct
        term_code,
        basis,
        n_years_in_window
    from {{ ref('int_term_windows') }}
),

catalog as (
    select
        indicator_code,
        time_aggregation
    from {{ ref('stg_seeds__indicator_catalog') }}
),

ranked as (
    select
        observations.unit_key,
        observations.indicator_code,
        periods.term_code,
        observations.target_value,
        observations.target_low,
        observations.target_high,
        observations.target_direction,
        observations.target_text,
        coalesce(observations.is_target_per_year, false) as is_target_per_year,
        row_number() over (
            partition by observations.unit_key, observations.indicator_code, periods.term_code
            order by
                observations.report_date desc nulls last,
                observations.received_at desc,
                periods.end_date desc,
                observations.submission_id desc,
                observations.period_code desc
        ) as target_rank
    from observations
    inner join periods
        on observations.period_code = periods.period_code
)

select
    ranked.unit_key,
    ranked.indicator_code,
    ranked.term_code,
    windows.basis,
    ranked.target_value as stated_target_value,
    ranked.target_low,
    ranked.target_high,
    ranked.target_direction,
    ranked.target_text,
    ranked.is_target_per_year,
    case
        when ranked.is_target_per_year and catalog.time_aggregation = 'sum'
            then ranked.target_value * windows.n_years_in_window
        else ranked.target_value
    end as target_value
from ranked
inner join windows
    on ranked.term_code = windows.term_code
inner join catalog
    on ranked.indicator_code = catalog.indicator_code
where ranked.target_rank = 1
