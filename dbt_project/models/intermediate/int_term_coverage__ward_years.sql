-- The ward-years each unit's yearly values rest on: a ward's own yearly values for the
-- ward itself (is_self), and for its district and province the ward-years
-- int_rollup__upper_levels reads (unit_aggregation sum, ratio or mean; a ratio only with
-- both its numerator and denominator). fct_term_comparison counts the wards reporting in
-- a window and redoes a term value over a subset of wards from these rows.

with units as (
    select
        unit_key,
        unit_level,
        district_key,
        province_key
    from {{ ref('stg_ref__admin_units') }}
),

ward_years as (
    select
        unit_key as ward_key,
        indicator_code,
        period_year,
        unit_aggregation,
        value,
        numerator_value,
        denominator_value
    from {{ ref('int_indicator_rollup') }}
    where
        unit_level = 'ward'
        and period_type = 'year'
        and {{ only_units_to_rebuild('unit_key') }}
),

members as (
    select
        unit_key,
        unit_key as ward_key,
        true as is_self
    from units
    where unit_level = 'ward'
    union all
    select
        district_key as unit_key,
        unit_key as ward_key,
        false as is_self
    from units
    where unit_level = 'ward' and district_key is not null
    union all
    select
        province_key as unit_key,
        unit_key as ward_key,
        false as is_self
    from units
    where unit_level = 'ward' and province_key is not null
)

select
    members.unit_key,
    members.ward_key,
    members.is_self,
    ward_years.indicator_code,
    ward_years.period_year,
    ward_years.unit_aggregation,
    ward_years.value,
    ward_years.numerator_value,
    ward_years.denominator_value
from ward_years
inner join members
    on ward_years.ward_key = members.ward_key
where
    case
        -- The ward's own term value reads every yearly value it has.
        when members.is_self then ward_years.value is not null
        -- The roll-up's rule (int_rollup__upper_levels): usable ward values only.
        when ward_years.unit_aggregation = 'ratio'
            then ward_years.numerator_value is not null and ward_years.denominator_value is not null
        when ward_years.unit_aggregation in ('sum', 'mean') then ward_years.value is not null
        else false
    end
