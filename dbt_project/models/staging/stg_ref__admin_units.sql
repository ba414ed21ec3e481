with source as (
    select
        unit_key,
        scheme,
        unit_code,
        unit_name,
        short_name,
        unit_type,
        level,
        parent_key,
        district_key,
        province_key,
        area_km2
    from {{ source('ref', 'admin_units') }}
)

select
    cast(unit_key as varchar) as unit_key,
    cast(scheme as varchar) as scheme,
    cast(unit_code as varchar) as unit_code,
    cast(unit_name as varchar) as unit_name,
    cast(short_name as varchar) as short_name,
    cast(unit_type as varchar) as unit_type,
    cast(level as varchar) as unit_level,
    cast(parent_key as varchar) as parent_key,
    cast(district_key as varchar) as district_key,
    cast(province_key as varchar) as province_key,
    cast(area_km2 as double) as area_km2
from source
