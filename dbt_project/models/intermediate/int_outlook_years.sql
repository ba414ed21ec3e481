-- For each unit × indicator × term with a target (int_outlook_targets) and each year Y of
-- the term (S+1..E) in which the unit has a yearly value of the indicator, or of one of
-- its parts for a ratio: the value over S+1..Y as int_term_values computes a window's,
-- and where it is heading by the end of the term E. `sum` indicators run at their rate so
-- far (value × n / k); the others follow the least-squares line through their yearly
-- values (k ≥ 2) or stay at their one value (k = 1), kept within the catalog's range.

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

terms as (
    select
        term_code,
        start_year + 1 as first_year,
        end_year as last_year,
        end_year - start_year as n_years_in_term
    from {{ ref('stg_seeds__terms') }}
),

catalog as (
    select
        indicator_code,
        unit_aggregation,
        time_aggregation,
        numerator_code,
        denominator_code,
        higher_is_better,
        min_value,
        max_value
    from {{ ref('stg_seeds__indicator_catalog') }}
),

targets as (
    select
        unit_key,
        indicator_code,
        term_code
    from {{ ref('int_outlook_targets') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

-- The indicators whose yearly values count for an indicator: itself and, for a ratio, its
-- numerator and denominator (a year with only a part still gets a row, with k = 0 when
-- the ratio itself has no value yet).
components as (
    select
        indicator_code,
        indicator_code as component_code,
        'own' as component_role
    from catalog
    union all
    select
        indicator_code,
        numerator_code as component_code,
        'numerator' as component_role
    from catalog
    where unit_aggregation = 'ratio' and numerator_code is not null
    union all
    select
        indicator_code,
        denominator_code as component_code,
        'denominator' as component_role
    from catalog
    where unit_aggregation = 'ratio' and denominator_code is not null
),

as_of_years as (
    select distinct
        targets.unit_key,
        targets.indicator_code,
        targets.term_code,
        yearly.period_year as as_of_year,
        terms.first_year,
        terms.last_year,
        terms.n_years_in_term
    from targets
    inner join terms
        on targets.term_code = terms.term_code
    inner join components
        on targets.indicator_code = components.indicator_code
    inner join yearly
        on
            targets.unit_key = yearly.unit_key
            and components.component_code = yearly.indicator_code
            and yearly.period_year between terms.first_year and terms.last_year
),

-- Each component's yearly values S+1..Y combined by the component's own time_aggregation.
to_date as (
    select
        as_of_years.unit_key,
        as_of_years.indicator_code,
        as_of_years.term_code,
        as_of_years.as_of_year,
        as_of_years.first_year,
        components.component_role,
        component_catalog.time_aggregation,
        {{ ordered_sum('yearly.value', 'yearly.period_year') }} as value_sum,
        arg_max(yearly.value, yearly.period_year) as value_last,
        {{ ordered_avg('yearly.value', 'yearly.period_year') }} as value_mean,
        avg(yearly.period_year) as mean_year,
        count(*) as n_years_with_value,
        max(yearly.period_year) as last_year_with_value
    from as_of_years
    inner join components
        on as_of_years.indicator_code = components.indicator_code
    inner join catalog as component_catalog
        on components.component_code = component_catalog.indicator_code
    inner join yearly
        on
            as_of_years.unit_key = yearly.unit_key
            and components.component_code = yearly.indicator_code
            and yearly.period_year between as_of_years.first_year and as_of_years.as_of_year
    group by
        as_of_years.unit_key,
        as_of_years.indicator_code,
        as_of_years.term_code,
        as_of_years.as_of_year,
        as_of_years.first_year,
        components.component_role,
        component_catalog.time_aggregation
),

component_values as (
    select
        unit_key,
        indicator_code,
        term_code,
        as_of_year,
        first_year,
        component_role,
        case time_aggregation
            when 'sum' then value_sum
            when 'last' then value_last
            when 'mean' then value_mean
        end as value,
        value_last,
        value_mean,
        mean_year,
        n_years_with_value,
        last_year_with_value
    from to_date
),

-- Sums of squares of the indicator's own yearly points (year, value) S+1..Y about their
-- means: the least-squares slope is sxy / sxx.
squares as (
    select
        own.unit_key,
        own.indicator_code,
        own.term_code,
        own.as_of_year,
        {{ ordered_sum(
            '(yearly.period_year - own.mean_year) * (yearly.value - own.value_mean)',
            'yearly.period_year'
        ) }} as sxy,
        {{ ordered_sum(
            '(yearly.period_year - own.mean_year) * (yearly.period_year - own.mean_year)',
            'yearly.period_year'
        ) }} as sxx
    from component_values as own
    inner join yearly
        on
            own.unit_key = yearly.unit_key
            and own.indicator_code = yearly.indicator_code
            and yearly.period_year between own.first_year and own.as_of_year
    where own.component_role = 'own'
    group by
        own.unit_key,
        own.indicator_code,
        own.term_code,
        own.as_of_year
),

joined as (
    select
        as_of_years.unit_key,
        as_of_years.indicator_code,
        as_of_years.term_code,
        as_of_years.as_of_year,
        as_of_years.last_year,
        as_of_years.n_years_in_term,
        catalog.time_aggregation,
        catalog.higher_is_better,
        catalog.min_value,
        catalog.max_value,
        catalog.time_aggregation = 'sum' and catalog.unit_aggregation <> 'ratio' as is_run_rate,
        own.value as own_value,
        own.value_last as latest_value,
        own.value_mean,
        own.mean_year,
        own.last_year_with_value,
        coalesce(own.n_years_with_value, 0) as n_years_reported,
        numerator.value as numerator_value,
        denominator.value as denominator_value,
        catalog.unit_aggregation = 'ratio'
        and numerator.value is not null
        and denominator.value is not null
        and denominator.value <> 0 as is_ratio_recomputed,
        squares.sxy,
        squares.sxx
    from as_of_years
    inner join catalog
        on as_of_years.indicator_code = catalog.indicator_code
    left join component_values as own
        on
            as_of_years.unit_key = own.unit_key
            and as_of_years.indicator_code = own.indicator_code
            and as_of_years.term_code = own.term_code
            and as_of_years.as_of_year = own.as_of_year
            and own.component_role = 'own'
    left join component_values as numerator
        on
            as_of_years.unit_key = numerator.unit_key
            and as_of_years.indicator_code = numerator.indicator_code
            and as_of_years.term_code = numerator.term_code
            and as_of_years.as_of_year = numerator.as_of_year
            and numerator.component_role = 'numerator'
    left join component_values as denominator
        on
            as_of_years.unit_key = denominator.unit_key
            and as_of_years.indicator_code = denominator.indicator_code
            and as_of_years.term_code = denominator.term_code
            and as_of_years.as_of_year = denominator.as_of_year
            and denominator.component_role = 'denominator'
    left join squares
        on
            as_of_years.unit_key = squares.unit_key
            and as_of_years.indicator_code = squares.indicator_code
            and as_of_years.term_code = squares.term_code
            and as_of_years.as_of_year = squares.as_of_year
),

projected as (
    select
        *,
        case
            when is_ratio_recomputed then 100 * numerator_value / denominator_value
            else own_value
        end as value_to_date,
        case
            when n_years_reported = 0 then null
            when is_run_rate then 'run_rate'
            when n_years_reported >= 2 then 'trend'
            else 'latest'
        end as projection_method,
        case
            when n_years_reported = 0 or is_run_rate then null
            when n_years_reported >= 2 then value_mean + sxy / sxx * (last_year - mean_year)
            else latest_value
        end as unclipped_projection
    from joined
)

select
    unit_key,
    indicator_code,
    term_code,
    as_of_year,
    last_year as term_end_year,
    n_years_in_term,
    time_aggregation,
    higher_is_better,
    value_to_date,
    case when is_ratio_recomputed then 'ratio' else time_aggregation end as value_method,
    case when is_ratio_recomputed then numerator_value end as numerator_value,
    case when is_ratio_recomputed then denominator_value end as denominator_value,
    n_years_reported,
    last_year_with_value,
    latest_value,
    unclipped_projection as unclipped_projected_value,
    projection_method,
    case
        when projection_method = 'run_rate' then value_to_date * n_years_in_term / n_years_reported
        when unclipped_projection < min_value then min_value
        when unclipped_projection > max_value then max_value
        else unclipped_projection
    end as projected_value
from projected
