with rollup as (
    select
        unit_key,
        indicator_code,
        period_code,
        scheme,
        unit_level,
        period_type,
        period_year,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value,
        n_units_reporting,
        n_units_expected,
        is_complete,
        n_derived_numerator_units,
        value_source
    from {{ ref('int_indicator_rollup') }}
    where {{ only_units_to_rebuild('unit_key') }}
)

select
    unit_key,
    indicator_code,
    period_code,
    scheme,
    unit_level as level,
    period_type,
    period_year as year,
    unit_aggregation,
    value,
    numerator_value,
    denominator_value,
    n_units_reporting,
    n_units_expected,
    is_complete,
    n_derived_numerator_units,
    value_source
from rollup
