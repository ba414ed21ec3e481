-- Every level of both schemes in one relation: pre-2025 wards (their own value, 1 of 1),
-- 2025 wards (apportioned or reported directly), districts and provinces (aggregated).

with units as (
    select
        unit_key,
        scheme,
        unit_level
    from {{ ref('stg_ref__admin_units') }}
),

periods as (
    select
        period_code,
        period_type,
        period_year
    from {{ ref('int_periods') }}
),

legacy_wards as (
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        1 as n_units_reporting,
        1 as n_units_expected,
        true as is_complete,
        case when is_derived_numerator then 1 else 0 end as n_derived_numerator_units,
        value_source
    from {{ ref('int_ward_values__components') }}
    where
        scheme = 'pre2025'
        and {{ only_units_to_rebuild('unit_key') }}
),

new_wards as (
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        n_units_reporting >= n_units_expected as is_complete,
        n_derived_numerator_units,
        value_source
    from {{ ref('int_ward_values__2025') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

upper_levels as (
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        is_complete,
        n_derived_numerator_units,
        value_source
    from {{ ref('int_rollup__upper_levels') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

unioned as (
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        is_complete,
        n_derived_numerator_units,
        value_source
    from legacy_wards
    union all
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        is_complete,
        n_derived_numerator_units,
        value_source
    from new_wards
    union all
    select
        unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        is_complete,
        n_derived_numerator_units,
        value_source
    from upper_levels
)

select
    unioned.unit_key,
    unioned.indicator_code,
    unioned.period_code,
    units.scheme,
    units.unit_level,
    periods.period_type,
    periods.period_year,
    unioned.unit_aggregation,
    unioned.value,
    unioned.numerator_value,
    unioned.denominator_value,
    unioned.n_units_reporting,
    unioned.n_units_expected,
    unioned.is_complete,
    unioned.n_derived_numerator_units,
    unioned.value_source
from unioned
inner join units
    on unioned.unit_key = units.unit_key
left join periods
    on unioned.period_code = periods.period_code
