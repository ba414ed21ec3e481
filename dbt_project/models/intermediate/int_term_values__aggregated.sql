-- Each unit's yearly roll-up values combined over each term window by the indicator's
-- time_aggregation: `sum` adds the yearly values, `last` takes the latest year of the
-- window that has a value, `mean` averages the yearly values.

with yearly as (
    select
        unit_key,
        indicator_code,
        period_year,
        value
    from {{ ref('int_indicator_rollup') }}
    where
        period_type = 'year'
        and value is not null
        and {{ only_units_to_rebuild('unit_key') }}
),

windows as (
    select
        term_code,
        basis,
        window_year,
        n_years_in_window
    from {{ ref('int_term_windows') }}
),

catalog as (
    select
        indicator_code,
        time_aggregation
    from {{ ref('stg_seeds__indicator_catalog') }}
),

aggregated as (
    select
        yearly.unit_key,
        yearly.indicator_code,
        windows.term_code,
        windows.basis,
        catalog.time_aggregation,
        windows.n_years_in_window,
        {{ ordered_sum('yearly.value', 'yearly.period_year') }} as value_sum,
        arg_max(yearly.value, yearly.period_year) as value_last,
        {{ ordered_avg('yearly.value', 'yearly.period_year') }} as value_mean,
        count(*) as n_years_with_value,
        min(yearly.period_year) as first_year_with_value,
        max(yearly.period_year) as last_year_with_value
    from yearly
    inner join windows
        on yearly.period_year = windows.window_year
    inner join catalog
        on yearly.indicator_code = catalog.indicator_code
    group by
        yearly.unit_key,
        yearly.indicator_code,
        windows.term_code,
        windows.basis,
        catalog.time_aggregation,
        windows.n_years_in_window
)

select
    unit_key,
    indicator_code,
    term_code,
    basis,
    time_aggregation,
    case time_aggregation
        when 'sum' then value_sum
        when 'last' then value_last
        when 'mean' then value_mean
    end as value,
    n_years_in_window,
    n_years_with_value,
    first_year_with_value,
    last_year_with_value
from aggregated
