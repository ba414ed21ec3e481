with units as (
    select
        unit_key,
        scheme,
        unit_code,
        unit_name,
        short_name,
        unit_type,
        unit_level,
        parent_key,
        district_key,
        province_key,
        area_km2
    from {{ ref('stg_ref__admin_units') }}
),

crosswalk as (
    select
        old_unit_key,
        new_unit_key
    from {{ ref('stg_ref__admin_crosswalk') }}
),

ward_counts as (
    select
        district_key as unit_key,
        count(*) as n_wards
    from units
    where unit_level = 'ward' and district_key is not null
    group by district_key
    union all
    select
        province_key as unit_key,
        count(*) as n_wards
    from units
    where unit_level = 'ward' and province_key is not null
    group by province_key
),

predecessors as (
    select
        new_unit_key as unit_key,
        count(distinct old_unit_key) as n_predecessor_wards
    from crosswalk
    group by new_unit_key
),

successors as (
    select
        old_unit_key as unit_key,
        count(distinct new_unit_key) as n_successor_wards
    from crosswalk
    group by old_unit_key
),

resolved as (
    select
        unit_key,
        scheme,
        unit_code,
        unit_name,
        short_name,
        unit_type,
        unit_level,
        parent_key,
        case when unit_level = 'district' then unit_key else district_key end as district_key,
        case when unit_level = 'province' then unit_key else province_key end as province_key,
        area_km2
    from units
)

select
    resolved.unit_key,
    resolved.scheme,
    resolved.unit_code,
    resolved.unit_name,
    resolved.short_name,
    resolved.unit_type,
    resolved.unit_level as level,
    resolved.parent_key,
    resolved.district_key,
    districts.unit_name as district_name,
    resolved.province_key,
    provinces.unit_name as province_name,
    case when resolved.unit_level = 'ward' then 1 else coalesce(ward_counts.n_wards, 0) end as n_wards,
    predecessors.n_predecessor_wards,
    successors.n_successor_wards,
    resolved.area_km2
from resolved
left join units as districts
    on resolved.district_key = districts.unit_key
left join units as provinces
    on resolved.province_key = provinces.unit_key
left join ward_counts
    on resolved.unit_key = ward_counts.unit_key
left join predecessors
    on resolved.unit_key = predecessors.unit_key
left join successors
    on resolved.unit_key = successors.unit_key
