with term_values as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        value,
        value_method,
        time_aggregated_value,
        numerator_value,
        denominator_value,
        n_years_in_window,
        n_years_with_value,
        last_year_with_value
    from {{ ref('int_term_values') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

targets as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        target_value,
        target_text,
        is_target_per_year
    from {{ ref('int_term_targets') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

terms as (
    select
        term_code,
        prev_term_code
    from {{ ref('dim_term') }}
),

indicators as (
    select
        indicator_code,
        higher_is_better
    from {{ ref('dim_indicator') }}
),

units as (
    select
        unit_key,
        scheme,
        level
    from {{ ref('dim_admin_unit') }}
),

compared as (
    select
        term_values.unit_key,
        term_values.indicator_code,
        term_values.term_code,
        term_values.basis,
        units.scheme,
        units.level,
        term_values.value,
        term_values.value_method,
        term_values.time_aggregated_value,
        term_values.numerator_value,
        term_values.denominator_value,
        term_values.n_years_in_window,
        term_values.n_years_with_value,
        term_values.last_year_with_value,
        terms.prev_term_code,
        previous.value as prev_value,
        targets.target_value,
        targets.target_text,
        targets.is_target_per_year,
        indicators.higher_is_better
    from term_values
    inner join units
        on term_values.unit_key = units.unit_key
    left join terms
        on term_values.term_code = terms.term_code
    left join term_values as previous
        on
            term_values.unit_key = previous.unit_key
            and term_values.indicator_code = previous.indicator_code
            and term_values.basis = previous.basis
            and terms.prev_term_code = previous.term_code
    left join targets
        on
            term_values.unit_key = targets.unit_key
            and term_values.indicator_code = targets.indicator_code
            and term_values.term_code = targets.term_code
            and term_values.basis = targets.basis
    left join indicators
        on term_values.indicator_code = indicators.indicator_code
)

select
    unit_key,
    indicator_code,
    term_code,
    basis,
    scheme,
    level,
    value,
    value_method,
    time_aggregated_value,
    numerator_value,
    denominator_value,
    prev_term_code,
    prev_value,
    value - prev_value as abs_change,
    100 * {{ safe_divide('value - prev_value', 'prev_value') }} as pct_change,
    target_value,
    target_text,
    is_target_per_year as target_per_year,
    case
        when higher_is_better = false then 100 * {{ safe_divide('target_value', 'value') }}
        else 100 * {{ safe_divide('value', 'target_value') }}
    end as target_achievement_pct,
    case
        when value is null or prev_value is null or higher_is_better is null then null
        when higher_is_better then value > prev_value
        else value < prev_value
    end as improved,
    n_years_in_window,
    n_years_with_value,
    last_year_with_value
from compared
