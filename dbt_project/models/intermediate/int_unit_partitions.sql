-- The partition of each administrative unit, of either scheme: the 2025 province that
-- contains it. A pre-2025 unit's partition is the 2025 province its wards went to (the
-- 2025 reorganisation merged whole provinces). Every roll-up (ward → district →
-- province) and every crosswalk pair (pre-2025 ward → 2025 ward) stays inside one
-- partition, which tests/singular/assert_units_stay_in_their_partition.sql checks; so a
-- night that changes one ward's rows need only rebuild the rows of its partition (see
-- macros/rebuild_by_partition.sql).

with units as (
    select
        unit_key,
        province_key
    from {{ ref('dim_admin_unit') }}
),

crosswalk as (
    select
        old_unit_key,
        new_unit_key
    from {{ ref('stg_ref__admin_crosswalk') }}
),

successor_provinces as (
    select
        old_units.province_key as old_province_key,
        min(new_units.province_key) as new_province_key
    from crosswalk
    inner join units as old_units
        on crosswalk.old_unit_key = old_units.unit_key
    inner join units as new_units
        on crosswalk.new_unit_key = new_units.unit_key
    group by old_units.province_key
)

select
    units.unit_key,
    coalesce(
        successor_provinces.new_province_key, units.province_key, units.unit_key
    ) as partition_key
from units
left join successor_provinces
    on units.province_key = successor_provinces.old_province_key
