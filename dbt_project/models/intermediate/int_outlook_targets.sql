-- The term target of each unit × indicator × term that the outlook judges: int_term_targets'
-- whole-term row (basis `full`), with the bounds it was parsed into.

select
    unit_key,
    indicator_code,
    term_code,
    target_low,
    target_high,
    target_direction,
    target_text,
    is_target_per_year,
    stated_target_value,
    target_value
from {{ ref('int_term_targets') }}
where
    basis = 'full'
    and {{ only_units_to_rebuild('unit_key') }}
