with source as (
    select
        indicator_code,
        name_vi,
        name_en,
        aliases_vi,
        unit,
        value_type,
        unit_aggregation,
        time_aggregation,
        numerator_code,
        denominator_code,
        higher_is_better,
        domain,
        min_value,
        max_value
    from {{ ref('indicator_catalog') }}
)

select
    cast(indicator_code as varchar) as indicator_code,
    cast(name_vi as varchar) as name_vi,
    cast(name_en as varchar) as name_en,
    cast(aliases_vi as varchar) as aliases_vi,
    cast(unit as varchar) as unit_of_measure,
    cast(value_type as varchar) as value_type,
    cast(unit_aggregation as varchar) as unit_aggregation,
    cast(time_aggregation as varchar) as time_aggregation,
    cast(numerator_code as varchar) as numerator_code,
    cast(denominator_code as varchar) as denominator_code,
    cast(higher_is_better as boolean) as higher_is_better,
    cast(domain as varchar) as domain,
    cast(min_value as double) as min_value,
    cast(max_value as double) as max_value
from source
