with source as (
    select
        old_unit_key,
        new_unit_key,
        share,
        share_method,
        is_default_new_unit
    from {{ source('ref', 'admin_crosswalk') }}
)

select
    cast(old_unit_key as varchar) as old_unit_key,
    cast(new_unit_key as varchar) as new_unit_key,
    cast(share as double) as share,
    cast(share_method as varchar) as share_method,
    cast(is_default_new_unit as boolean) as is_default_new_unit
from source
