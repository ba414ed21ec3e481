with catalog as (
    select
        indicator_code,
        name_vi,
        name_en,
        aliases_vi,
        unit_of_measure,
        value_type,
        unit_aggregation,
        time_aggregation,
        numerator_code,
        denominator_code,
        higher_is_better,
        domain,
        min_value,
        max_value
    from {{ ref('stg_seeds__indicator_catalog') }}
)

select
    indicator_code,
    name_vi,
    name_en,
    unit_of_measure as unit,
    value_type,
    unit_aggregation,
    time_aggregation,
    numerator_code,
    denominator_code,
    higher_is_better,
    domain,
    min_value,
    max_value,
    aliases_vi,
    case
        when aliases_vi is null or aliases_vi = '' then cast([] as varchar[])
        else string_split(aliases_vi, '|')
    end as aliases_vi_list
from catalog
