-- Current values of ward-level units (both schemes), ready to roll up. For `ratio`
-- indicators the ward's numerator and denominator come from the numerator and
-- denominator indicators; where the ward reported the rate and the denominator but
-- not the numerator, numerator = rate × denominator / 100 (is_derived_numerator).
-- A missing denominator indicator is taken from the numerator's own `130/130`-style
-- denominator (is_derived_denominator). The ward's own rate is the reported one, else
-- 100 × numerator / denominator.

with units as (
    select
        unit_key,
        scheme
    from {{ ref('stg_ref__admin_units') }}
    where unit_level = 'ward'
),

catalog as (
    select
        indicator_code,
        unit_aggregation,
        numerator_code,
        denominator_code
    from {{ ref('stg_seeds__indicator_catalog') }}
),

ratio_indicators as (
    select
        indicator_code,
        numerator_code,
        denominator_code
    from catalog
    where unit_aggregation = 'ratio'
),

current_values as (
    select
        current_obs.unit_key,
        units.scheme,
        current_obs.indicator_code,
        current_obs.period_code,
        current_obs.value,
        current_obs.denominator
    from {{ ref('int_observations__current') }} as current_obs
    inner join units
        on current_obs.unit_key = units.unit_key
    where
        current_obs.value is not null
        and {{ only_units_to_rebuild('current_obs.unit_key') }}
),

plain_values as (
    select
        current_values.unit_key,
        current_values.scheme,
        current_values.indicator_code,
        current_values.period_code,
        catalog.unit_aggregation,
        current_values.value,
        cast(null as double) as numerator_value,
        cast(null as double) as denominator_value,
        false as is_derived_numerator,
        false as is_derived_denominator,
        'reported' as value_source
    from current_values
    inner join catalog
        on current_values.indicator_code = catalog.indicator_code
    where catalog.unit_aggregation <> 'ratio'
),

ratio_keys as (
    select
        current_values.unit_key,
        current_values.scheme,
        current_values.period_code,
        ratio_indicators.indicator_code
    from current_values
    inner join ratio_indicators
        on current_values.indicator_code = ratio_indicators.indicator_code
    union
    select
        current_values.unit_key,
        current_values.scheme,
        current_values.period_code,
        ratio_indicators.indicator_code
    from current_values
    inner join ratio_indicators
        on current_values.indicator_code = ratio_indicators.numerator_code
    union
    select
        current_values.unit_key,
        current_values.scheme,
        current_values.period_code,
        ratio_indicators.indicator_code
    from current_values
    inner join ratio_indicators
        on current_values.indicator_code = ratio_indicators.denominator_code
),

ratio_inputs as (
    select
        ratio_keys.unit_key,
        ratio_keys.scheme,
        ratio_keys.indicator_code,
        ratio_keys.period_code,
        rate.value as reported_rate,
        numerator.value as reported_numerator,
        coalesce(denominator.value, numerator.denominator) as denominator_value,
        denominator.value is null and numerator.denominator is not null as is_derived_denominator
    from ratio_keys
    inner join ratio_indicators
        on ratio_keys.indicator_code = ratio_indicators.indicator_code
    left join current_values as rate
        on
            ratio_keys.unit_key = rate.unit_key
            and ratio_keys.period_code = rate.period_code
            and ratio_keys.indicator_code = rate.indicator_code
    left join current_values as numerator
        on
            ratio_keys.unit_key = numerator.unit_key
            and ratio_keys.period_code = numerator.period_code
            and ratio_indicators.numerator_code = numerator.indicator_code
    left join current_values as denominator
        on
            ratio_keys.unit_key = denominator.unit_key
            and ratio_keys.period_code = denominator.period_code
            and ratio_indicators.denominator_code = denominator.indicator_code
),

ratio_values as (
    select
        unit_key,
        scheme,
        indicator_code,
        period_code,
        'ratio' as unit_aggregation,
        coalesce(reported_rate, 100 * {{ safe_divide('reported_numerator', 'denominator_value') }}) as value,
        coalesce(reported_numerator, reported_rate * denominator_value / 100) as numerator_value,
        denominator_value,
        reported_numerator is null
        and reported_rate is not null
        and denominator_value is not null as is_derived_numerator,
        is_derived_denominator,
        case when reported_rate is null then 'computed' else 'reported' end as value_source
    from ratio_inputs
)

select
    unit_key,
    scheme,
    indicator_code,
    period_code,
    unit_aggregation,
    value,
    numerator_value,
    denominator_value,
    is_derived_numerator,
    is_derived_denominator,
    value_source
from plain_values
union all
select
    unit_key,
    scheme,
    indicator_code,
    period_code,
    unit_aggregation,
    value,
    numerator_value,
    denominator_value,
    is_derived_numerator,
    is_derived_denominator,
    value_source
from ratio_values
where value is not null
