-- What each term comparison compares: the wards reporting in this term's window and in
-- the previous term's, and the comparison redone over only the wards that reported in
-- both (like for like), so a district whose previous term summed 12 wards and this one 15
-- does not show the 3 extra wards as growth. A ward reports in a window when it has a
-- yearly value of the indicator there, or of both parts when the ratio is recomputed from
-- them (value_method `ratio`): then both parts are redone over the common wards.

with comparisons as (
    select
        term_values.unit_key,
        term_values.indicator_code,
        term_values.term_code,
        term_values.basis,
        term_values.value_method,
        terms.prev_term_code
    from {{ ref('int_term_values') }} as term_values
    left join {{ ref('dim_term') }} as terms
        on term_values.term_code = terms.term_code
    where {{ only_units_to_rebuild('term_values.unit_key') }}
),

catalog as (
    select
        indicator_code,
        unit_aggregation,
        time_aggregation,
        numerator_code,
        denominator_code
    from {{ ref('stg_seeds__indicator_catalog') }}
),

windows as (
    select
        term_code,
        basis,
        window_year
    from {{ ref('int_term_windows') }}
),

ward_years as (
    select
        unit_key,
        ward_key,
        is_self,
        indicator_code,
        period_year,
        value,
        numerator_value,
        denominator_value
    from {{ ref('int_term_coverage__ward_years') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

-- The wards expected under each unit, as the roll-up counts them (a ward: itself).
expected as (
    select
        unit_key,
        n_wards as n_units_expected
    from {{ ref('dim_admin_unit') }}
),

-- The indicators a comparison's value is made of: itself, or the two parts of a ratio
-- recomputed from them.
components as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        indicator_code as component_code,
        'own' as component_role,
        1 as n_components
    from comparisons
    where value_method <> 'ratio'
    union all
    select
        comparisons.unit_key,
        comparisons.indicator_code,
        comparisons.term_code,
        comparisons.basis,
        catalog.numerator_code as component_code,
        'numerator' as component_role,
        2 as n_components
    from comparisons
    inner join catalog
        on comparisons.indicator_code = catalog.indicator_code
    where comparisons.value_method = 'ratio'
    union all
    select
        comparisons.unit_key,
        comparisons.indicator_code,
        comparisons.term_code,
        comparisons.basis,
        catalog.denominator_code as component_code,
        'denominator' as component_role,
        2 as n_components
    from comparisons
    inner join catalog
        on comparisons.indicator_code = catalog.indicator_code
    where comparisons.value_method = 'ratio'
),

-- Each comparison's two windows: this term's and the previous term's (same basis).
comparison_windows as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        'current' as window_name,
        term_code as window_term_code
    from comparisons
    union all
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        'previous' as window_name,
        prev_term_code as window_term_code
    from comparisons
    where prev_term_code is not null
),

-- The ward-years of each comparison's components in each of its windows.
window_ward_years as (
    select
        comparison_windows.unit_key,
        comparison_windows.indicator_code,
        comparison_windows.term_code,
        comparison_windows.basis,
        comparison_windows.window_name,
        components.component_code,
        components.component_role,
        components.n_components,
        ward_years.ward_key,
        ward_years.is_self,
        ward_years.period_year,
        ward_years.value,
        ward_years.numerator_value,
        ward_years.denominator_value
    from comparison_windows
    inner join components
        on
            comparison_windows.unit_key = components.unit_key
            and comparison_windows.indicator_code = components.indicator_code
            and comparison_windows.term_code = components.term_code
            and comparison_windows.basis = components.basis
    inner join windows
        on
            comparison_windows.window_term_code = windows.term_code
            and comparison_windows.basis = windows.basis
    inner join ward_years
        on
            comparison_windows.unit_key = ward_years.unit_key
            and components.component_code = ward_years.indicator_code
            and windows.window_year = ward_years.period_year
),

-- A ward reports in a window when it has a yearly value of every component there.
reporting_wards as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        window_name,
        ward_key
    from window_ward_years
    group by unit_key, indicator_code, term_code, basis, window_name, ward_key
    having count(distinct component_role) = max(n_components)
),

ward_presence as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        ward_key,
        bool_or(window_name = 'current') as is_in_current,
        bool_or(window_name = 'previous') as is_in_previous
    from reporting_wards
    group by unit_key, indicator_code, term_code, basis, ward_key
),

coverage as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        count(*) filter (where is_in_current) as n_units_reporting,
        count(*) filter (where is_in_previous) as prev_n_units_reporting,
        count(*) filter (where is_in_current and is_in_previous) as n_units_in_both
    from ward_presence
    group by unit_key, indicator_code, term_code, basis
),

-- Yearly values of each component over the wards in both windows, by the roll-up's
-- rule and in its order (int_rollup__upper_levels), so that with the same wards they
-- are the very same doubles; a ward's own yearly value is its value.
common_years as (
    select
        window_ward_years.unit_key,
        window_ward_years.indicator_code,
        window_ward_years.term_code,
        window_ward_years.basis,
        window_ward_years.window_name,
        window_ward_years.component_code,
        window_ward_years.component_role,
        window_ward_years.period_year,
        bool_and(window_ward_years.is_self) as is_self,
        {{ ordered_sum('window_ward_years.value', 'window_ward_years.ward_key') }} as value_sum,
        {{ ordered_avg('window_ward_years.value', 'window_ward_years.ward_key') }} as value_mean,
        {{ ordered_sum('window_ward_years.numerator_value', 'window_ward_years.ward_key') }} as numerator_sum,
        {{ ordered_sum('window_ward_years.denominator_value', 'window_ward_years.ward_key') }} as denominator_sum
    from window_ward_years
    inner join ward_presence
        on
            window_ward_years.unit_key = ward_presence.unit_key
            and window_ward_years.indicator_code = ward_presence.indicator_code
            and window_ward_years.term_code = ward_presence.term_code
            and window_ward_years.basis = ward_presence.basis
            and window_ward_years.ward_key = ward_presence.ward_key
    where ward_presence.is_in_current and ward_presence.is_in_previous
    group by
        window_ward_years.unit_key,
        window_ward_years.indicator_code,
        window_ward_years.term_code,
        window_ward_years.basis,
        window_ward_years.window_name,
        window_ward_years.component_code,
        window_ward_years.component_role,
        window_ward_years.period_year
),

common_yearly_values as (
    select
        common_years.unit_key,
        common_years.indicator_code,
        common_years.term_code,
        common_years.basis,
        common_years.window_name,
        common_years.component_code,
        common_years.component_role,
        common_years.period_year,
        case
            when common_years.is_self then common_years.value_sum
            when catalog.unit_aggregation = 'sum' then common_years.value_sum
            when catalog.unit_aggregation = 'mean' then common_years.value_mean
            when catalog.unit_aggregation = 'ratio'
                then 100 * {{ safe_divide('common_years.numerator_sum', 'common_years.denominator_sum') }}
        end as value
    from common_years
    inner join catalog
        on common_years.component_code = catalog.indicator_code
),

-- Each component over its window by its time_aggregation (int_term_values__aggregated).
common_components as (
    select
        common_yearly_values.unit_key,
        common_yearly_values.indicator_code,
        common_yearly_values.term_code,
        common_yearly_values.basis,
        common_yearly_values.window_name,
        common_yearly_values.component_role,
        case catalog.time_aggregation
            when 'sum'
                then {{ ordered_sum('common_yearly_values.value', 'common_yearly_values.period_year') }}
            when 'last' then arg_max(common_yearly_values.value, common_yearly_values.period_year)
            when 'mean'
                then {{ ordered_avg('common_yearly_values.value', 'common_yearly_values.period_year') }}
        end as value
    from common_yearly_values
    inner join catalog
        on common_yearly_values.component_code = catalog.indicator_code
    where common_yearly_values.value is not null
    group by
        common_yearly_values.unit_key,
        common_yearly_values.indicator_code,
        common_yearly_values.term_code,
        common_yearly_values.basis,
        common_yearly_values.window_name,
        common_yearly_values.component_role,
        catalog.time_aggregation
),

-- The window value: the component itself, or the ratio recomputed from both parts as
-- int_term_values does (same expression, so the same double).
common_windows as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        window_name,
        case
            when bool_or(component_role = 'own') then max(value) filter (where component_role = 'own')
            else
                100 * max(value) filter (where component_role = 'numerator')
                / nullif(max(value) filter (where component_role = 'denominator'), 0)
        end as value
    from common_components
    group by unit_key, indicator_code, term_code, basis, window_name
),

like_for_like as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        max(value) filter (where window_name = 'current') as like_for_like_value,
        max(value) filter (where window_name = 'previous') as like_for_like_prev_value
    from common_windows
    group by unit_key, indicator_code, term_code, basis
)

select
    comparisons.unit_key,
    comparisons.indicator_code,
    comparisons.term_code,
    comparisons.basis,
    coalesce(coverage.n_units_reporting, 0) as n_units_reporting,
    coalesce(expected.n_units_expected, 0) as n_units_expected,
    case when comparisons.prev_term_code is not null then coalesce(coverage.prev_n_units_reporting, 0) end
        as prev_n_units_reporting,
    case when comparisons.prev_term_code is not null then coalesce(expected.n_units_expected, 0) end
        as prev_n_units_expected,
    case when comparisons.prev_term_code is not null then coalesce(coverage.n_units_in_both, 0) end
        as n_units_in_both,
    -- Sets, not counts: the same number of wards may be different wards.
    case
        when comparisons.prev_term_code is not null
            then
                coalesce(coverage.n_units_in_both, 0) < coalesce(coverage.n_units_reporting, 0)
                or coalesce(coverage.n_units_in_both, 0) < coalesce(coverage.prev_n_units_reporting, 0)
    end as coverage_differs,
    like_for_like.like_for_like_prev_value,
    like_for_like.like_for_like_value
from comparisons
left join coverage
    on
        comparisons.unit_key = coverage.unit_key
        and comparisons.indicator_code = coverage.indicator_code
        and comparisons.term_code = coverage.term_code
        and comparisons.basis = coverage.basis
left join expected
    on comparisons.unit_key = expected.unit_key
left join like_for_like
    on
        comparisons.unit_key = like_for_like.unit_key
        and comparisons.indicator_code = like_for_like.indicator_code
        and comparisons.term_code = like_for_like.term_code
        and comparisons.basis = like_for_like.basis
