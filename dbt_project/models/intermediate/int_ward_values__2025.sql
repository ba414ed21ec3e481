-- 2025-scheme wards, built from the pre-2025 wards through ref.admin_crosswalk.
-- `share` (1 for a ward that went whole, else the receiving new ward's part of the old
-- ward's area) apportions `sum` values and the numerator and denominator of `ratio`
-- indicators; `mean` indicators average the feeders' values weighted by share.
-- A value reported directly by the 2025 ward for the same indicator and period takes
-- precedence over the apportioned one (value_source `reported`/`computed`).
-- n_units_expected = pre-2025 wards feeding the new ward (at least 1).

with components as (
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
        value_source
    from {{ ref('int_ward_values__components') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

crosswalk as (
    select
        old_unit_key,
        new_unit_key,
        share
    from {{ ref('stg_ref__admin_crosswalk') }}
),

feeders as (
    select
        new_unit_key,
        count(distinct old_unit_key) as n_feeders
    from crosswalk
    group by new_unit_key
),

legacy_values as (
    select
        crosswalk.new_unit_key,
        crosswalk.old_unit_key,
        crosswalk.share,
        components.indicator_code,
        components.period_code,
        components.unit_aggregation,
        components.value,
        components.numerator_value,
        components.denominator_value,
        components.is_derived_numerator,
        case
            when components.unit_aggregation = 'ratio'
                then components.numerator_value is not null and components.denominator_value is not null
            else components.value is not null
        end as is_usable
    from components
    inner join crosswalk
        on components.unit_key = crosswalk.old_unit_key
    where
        components.scheme = 'pre2025'
        and components.unit_aggregation in ('sum', 'ratio', 'mean')
),

apportioned_sums as (
    select
        new_unit_key as unit_key,
        indicator_code,
        period_code,
        unit_aggregation,
        {{ ordered_sum('share * value', 'old_unit_key', where='is_usable') }} as weighted_sum,
        {{ ordered_sum('share', 'old_unit_key', where='is_usable') }} as share_sum,
        {{ ordered_sum('share * numerator_value', 'old_unit_key', where='is_usable') }} as numerator_value,
        {{ ordered_sum('share * denominator_value', 'old_unit_key', where='is_usable') }} as denominator_value,
        count(*) filter (where is_usable) as n_units_reporting,
        count(*) filter (where is_usable and is_derived_numerator) as n_derived_numerator_units
    from legacy_values
    group by new_unit_key, indicator_code, period_code, unit_aggregation
),

apportioned as (
    select
        apportioned_sums.unit_key,
        apportioned_sums.indicator_code,
        apportioned_sums.period_code,
        apportioned_sums.unit_aggregation,
        case apportioned_sums.unit_aggregation
            when 'sum' then apportioned_sums.weighted_sum
            when 'mean' then {{ safe_divide('apportioned_sums.weighted_sum', 'apportioned_sums.share_sum') }}
            when 'ratio'
                then 100 * {{ safe_divide('apportioned_sums.numerator_value', 'apportioned_sums.denominator_value') }}
        end as value,
        apportioned_sums.numerator_value,
        apportioned_sums.denominator_value,
        apportioned_sums.n_units_reporting,
        coalesce(feeders.n_feeders, 0) as n_units_expected,
        apportioned_sums.n_derived_numerator_units,
        'apportioned' as value_source
    from apportioned_sums
    left join feeders
        on apportioned_sums.unit_key = feeders.new_unit_key
    where apportioned_sums.n_units_reporting > 0
),

direct as (
    select
        components.unit_key,
        components.indicator_code,
        components.period_code,
        components.unit_aggregation,
        components.value,
        components.numerator_value,
        components.denominator_value,
        greatest(coalesce(feeders.n_feeders, 0), 1) as n_units_reporting,
        greatest(coalesce(feeders.n_feeders, 0), 1) as n_units_expected,
        case when components.is_derived_numerator then 1 else 0 end as n_derived_numerator_units,
        components.value_source
    from components
    left join feeders
        on components.unit_key = feeders.new_unit_key
    where components.scheme = '2025'
)

select
    direct.unit_key,
    direct.indicator_code,
    direct.period_code,
    direct.unit_aggregation,
    direct.value,
    direct.numerator_value,
    direct.denominator_value,
    direct.n_units_reporting,
    direct.n_units_expected,
    direct.n_derived_numerator_units,
    direct.value_source
from direct
union all
select
    apportioned.unit_key,
    apportioned.indicator_code,
    apportioned.period_code,
    apportioned.unit_aggregation,
    apportioned.value,
    apportioned.numerator_value,
    apportioned.denominator_value,
    apportioned.n_units_reporting,
    apportioned.n_units_expected,
    apportioned.n_derived_numerator_units,
    apportioned.value_source
from apportioned
left join direct
    on
        apportioned.unit_key = direct.unit_key
        and apportioned.indicator_code = direct.indicator_code
        and apportioned.period_code = direct.period_code
where direct.unit_key is null
