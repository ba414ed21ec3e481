-- Term values, with `ratio` indicators recomputed as 100 × numerator / denominator when
-- both their numerator and denominator indicators have a term value (each by its own
-- time_aggregation); otherwise the ratio keeps its own time_aggregation of the rates.

with aggregated as (
    select
        unit_key,
        indicator_code,
        term_code,
        basis,
        time_aggregation,
        value,
        n_years_in_window,
        n_years_with_value,
        first_year_with_value,
        last_year_with_value
    from {{ ref('int_term_values__aggregated') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

catalog as (
    select
        indicator_code,
        unit_aggregation,
        numerator_code,
        denominator_code
    from {{ ref('stg_seeds__indicator_catalog') }}
),

joined as (
    select
        aggregated.unit_key,
        aggregated.indicator_code,
        aggregated.term_code,
        aggregated.basis,
        aggregated.time_aggregation,
        aggregated.value as own_value,
        aggregated.n_years_in_window,
        aggregated.n_years_with_value,
        aggregated.first_year_with_value,
        aggregated.last_year_with_value,
        numerator.value as numerator_value,
        denominator.value as denominator_value,
        catalog.unit_aggregation = 'ratio'
        and numerator.value is not null
        and denominator.value is not null
        and denominator.value <> 0 as is_ratio_recomputed
    from aggregated
    inner join catalog
        on aggregated.indicator_code = catalog.indicator_code
    left join aggregated as numerator
        on
            aggregated.unit_key = numerator.unit_key
            and aggregated.term_code = numerator.term_code
            and aggregated.basis = numerator.basis
            and catalog.numerator_code = numerator.indicator_code
    left join aggregated as denominator
        on
            aggregated.unit_key = denominator.unit_key
            and aggregated.term_code = denominator.term_code
            and aggregated.basis = denominator.basis
            and catalog.denominator_code = denominator.indicator_code
)

select
    unit_key,
    indicator_code,
    term_code,
    basis,
    case when is_ratio_recomputed then 100 * numerator_value / denominator_value else own_value end as value,
    case when is_ratio_recomputed then 'ratio' else time_aggregation end as value_method,
    own_value as time_aggregated_value,
    case when is_ratio_recomputed then numerator_value end as numerator_value,
    case when is_ratio_recomputed then denominator_value end as denominator_value,
    n_years_in_window,
    n_years_with_value,
    first_year_with_value,
    last_year_with_value
from joined
