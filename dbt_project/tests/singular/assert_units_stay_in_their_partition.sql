-- An incremental night rebuilds whole partitions (int_unit_partitions). A ward whose
-- district or province, or whose 2025 successor, sat in another partition would leave
-- that unit's rows stale: every such pair is a failure.

with units as (
    select
        unit_key,
        district_key,
        province_key
    from {{ ref('stg_ref__admin_units') }}
),

partitions as (
    select
        unit_key,
        partition_key
    from {{ ref('int_unit_partitions') }}
),

crosswalk as (
    select
        old_unit_key,
        new_unit_key
    from {{ ref('stg_ref__admin_crosswalk') }}
),

linked_units as (
    select
        unit_key,
        district_key as linked_unit_key,
        'district' as link
    from units
    where district_key is not null
    union all
    select
        unit_key,
        province_key as linked_unit_key,
        'province' as link
    from units
    where province_key is not null
    union all
    select
        old_unit_key as unit_key,
        new_unit_key as linked_unit_key,
        'crosswalk' as link
    from crosswalk
)

select
    linked_units.unit_key,
    linked_units.linked_unit_key,
    linked_units.link,
    own.partition_key,
    linked.partition_key as linked_partition_key
from linked_units
inner join partitions as own
    on linked_units.unit_key = own.unit_key
inner join partitions as linked
    on linked_units.linked_unit_key = linked.unit_key
where own.partition_key <> linked.partition_key
