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

coverage as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        n_units_reporting,
        n_units_expected,
        prev_n_units_reporting,
        prev_n_units_expected,
        n_units_in_both,
        coverage_differs,
        like_for_like_prev_value,
        like_for_like_value
    from {{ ref('int_term_coverage') }}
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
        indicators.higher_is_better,
        coverage.n_units_reporting,
        coverage.n_units_expected,
        coverage.prev_n_units_reporting,
        coverage.prev_n_units_expected,
        coverage.n_units_in_both,
        coverage.coverage_differs,
        coverage.like_for_like_prev_value,
        coverage.like_for_like_value
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
    left join coverage
        on
            term_values.unit_key = coverage.unit_key
            and term_values.indicator_code = coverage.indicator_code
            and term_values.term_code = coverage.term_code
            and term_values.basis = coverage.basis
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
    last_year_with_value,
    n_units_reporting,
    n_units_expected,
    prev_n_units_reporting,
    prev_n_units_expected,
    n_units_in_both,
    -- Only a comparison made has a coverage to qualify it.
    case when prev_value is not null then coverage_differs end as coverage_differs,
    like_for_like_prev_value,
    like_for_like_value,
    like_for_like_value - like_for_like_prev_value as like_for_like_abs_change,
    100 * {{ safe_divide('like_for_like_value - like_for_like_prev_value', 'like_for_like_prev_value') }}
        as like_for_like_pct_change
from compared
