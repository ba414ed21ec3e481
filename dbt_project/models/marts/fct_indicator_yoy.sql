with yearly as (
    select
        unit_key,
        indicator_code,
        period_code,
        scheme,
        unit_level,
        period_year,
        value,
        n_units_reporting,
        n_units_expected
    from {{ ref('int_indicator_rollup') }}
    where
        period_type = 'year'
        and {{ only_units_to_rebuild('unit_key') }}
),

indicators as (
    select
        indicator_code,
        higher_is_better
    from {{ ref('stg_seeds__indicator_catalog') }}
),

compared as (
    select
        yearly.unit_key,
        yearly.indicator_code,
        yearly.period_year,
        yearly.scheme,
        yearly.unit_level,
        yearly.value,
        yearly.n_units_reporting,
        yearly.n_units_expected,
        previous.value as prev_year_value,
        previous.n_units_reporting as prev_year_n_units_reporting,
        indicators.higher_is_better
    from yearly
    left join yearly as previous
        on
            yearly.unit_key = previous.unit_key
            and yearly.indicator_code = previous.indicator_code
            and yearly.period_year = previous.period_year + 1
    left join indicators
        on yearly.indicator_code = indicators.indicator_code
)

select
    unit_key,
    indicator_code,
    period_year as year,
    scheme,
    unit_level as level,
    value,
    prev_year_value,
    value - prev_year_value as abs_change,
    100 * {{ safe_divide('value - prev_year_value', 'prev_year_value') }} as pct_change,
    case
        when value is null or prev_year_value is null or higher_is_better is null then null
        when higher_is_better then value > prev_year_value
        else value < prev_year_value
    end as improved,
    n_units_reporting,
    n_units_expected,
    prev_year_n_units_reporting
from compared
