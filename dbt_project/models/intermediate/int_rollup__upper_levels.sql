-- Districts and provinces of both schemes, rolled up from their wards per
-- unit_aggregation: `sum` adds ward values; `ratio` = 100 × Σ numerator / Σ denominator
-- over the wards that have both (never an average of ward rates); `mean` is the
-- unweighted mean of ward values. pre2025 districts and provinces roll up pre-2025
-- wards; 2025 provinces roll up 2025 wards (themselves apportioned through the
-- crosswalk). n_units_expected = wards under the unit in its scheme; is_complete also
-- requires every reporting 2025 ward to be complete itself (all its feeders reported).

with units as (
    select
        unit_key,
        scheme,
        unit_level,
        district_key,
        province_key
    from {{ ref('stg_ref__admin_units') }}
),

ward_values as (
    select
        unit_key as ward_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        is_derived_numerator,
        true as is_complete
    from {{ ref('int_ward_values__components') }}
    where
        scheme = 'pre2025'
        and unit_aggregation in ('sum', 'ratio', 'mean')
        and {{ only_units_to_rebuild('unit_key') }}
    union all
    select
        unit_key as ward_key,
        indicator_code,
        period_code,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_derived_numerator_units > 0 as is_derived_numerator,
        n_units_reporting >= n_units_expected as is_complete
    from {{ ref('int_ward_values__2025') }}
    where
        unit_aggregation in ('sum', 'ratio', 'mean')
        and {{ only_units_to_rebuild('unit_key') }}
),

ancestors as (
    select
        unit_key as ward_key,
        district_key as ancestor_key
    from units
    where unit_level = 'ward' and district_key is not null
    union all
    select
        unit_key as ward_key,
        province_key as ancestor_key
    from units
    where unit_level = 'ward' and province_key is not null
),

expected as (
    select
        ancestor_key,
        count(*) as n_wards
    from ancestors
    group by ancestor_key
),

usable as (
    select
        ancestors.ancestor_key,
        ward_values.ward_key,
        ward_values.indicator_code,
        ward_values.period_code,
        ward_values.unit_aggregation,
        ward_values.value,
        ward_values.numerator_value,
        ward_values.denominator_value,
        ward_values.is_derived_numerator,
        ward_values.is_complete
    from ward_values
    inner join ancestors
        on ward_values.ward_key = ancestors.ward_key
    where
        case
            when ward_values.unit_aggregation = 'ratio'
                then ward_values.numerator_value is not null and ward_values.denominator_value is not null
            else ward_values.value is not null
        end
),

aggregated as (
    select
        ancestor_key as unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        {{ ordered_sum('value', 'ward_key') }} as value_sum,
        {{ ordered_avg('value', 'ward_key') }} as value_mean,
        {{ ordered_sum('numerator_value', 'ward_key') }} as numerator_value,
        {{ ordered_sum('denominator_value', 'ward_key') }} as denominator_value,
        count(*) as n_units_reporting,
        count(*) filter (where is_derived_numerator) as n_derived_numerator_units,
        bool_and(is_complete) as are_reporting_wards_complete
    from usable
    group by ancestor_key, indicator_code, period_code, unit_aggregation
)

select
    aggregated.unit_key,
    aggregated.indicator_code,
    aggregated.period_code,
    aggregated.unit_aggregation,
    case aggregated.unit_aggregation
        when 'sum' then aggregated.value_sum
        when 'mean' then aggregated.value_mean
        when 'ratio' then 100 * {{ safe_divide('aggregated.numerator_value', 'aggregated.denominator_value') }}
    end as value,
    case when aggregated.unit_aggregation = 'ratio' then aggregated.numerator_value end as numerator_value,
    case when aggregated.unit_aggregation = 'ratio' then aggregated.denominator_value end as denominator_value,
    aggregated.n_units_reporting,
    expected.n_wards as n_units_expected,
    aggregated.n_units_reporting >= expected.n_wards
    and aggregated.are_reporting_wards_complete as is_complete,
    aggregated.n_derived_numerator_units,
    'aggregated' as value_source
from aggregated
inner join expected
    on aggregated.unit_key = expected.ancestor_key
