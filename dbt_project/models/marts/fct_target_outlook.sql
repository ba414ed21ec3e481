-- The mid-term outlook: for each unit × indicator × term with a target and each year of
-- the term with data, whether the target is already met, will be met at this pace, is
-- within 10 % of it, or is not heading there. The projections are int_outlook_years';
-- the target and its bounds int_outlook_targets' (basis `full`: the whole term's target).

with outlook_years as (
    select
        unit_key,
        indicator_code,
        term_code,
        as_of_year,
        term_end_year,
        n_years_in_term,
        higher_is_better,
        value_to_date,
        value_method,
        n_years_reported,
        last_year_with_value,
        latest_value,
        projected_value,
        projection_method
    from {{ ref('int_outlook_years') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

targets as (
    select
        unit_key,
        indicator_code,
        term_code,
        target_low,
        target_high,
        target_direction,
        target_text,
        is_target_per_year,
        target_value
    from {{ ref('int_outlook_targets') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

units as (
    select
        unit_key,
        scheme,
        level
    from {{ ref('dim_admin_unit') }}
),

joined as (
    select
        outlook_years.unit_key,
        outlook_years.indicator_code,
        outlook_years.term_code,
        outlook_years.as_of_year,
        units.scheme,
        units.level,
        outlook_years.value_to_date,
        outlook_years.value_method,
        outlook_years.latest_value,
        outlook_years.last_year_with_value,
        outlook_years.n_years_reported,
        outlook_years.n_years_in_term,
        outlook_years.term_end_year,
        targets.target_low,
        targets.target_high,
        targets.target_direction,
        targets.target_text,
        targets.is_target_per_year as target_per_year,
        targets.target_value,
        -- The bound the target_value macro picks is an upper one ("dưới 3%") for `at_most`,
        -- and for a range or an exact figure of a lower-is-better indicator.
        case
            when targets.target_direction = 'at_least' then false
            when targets.target_direction = 'at_most' then true
            when targets.target_direction in ('range', 'exact')
                then coalesce(outlook_years.higher_is_better = false, false)
            else targets.target_low is null or coalesce(outlook_years.higher_is_better = false, false)
        end as target_is_upper_bound,
        outlook_years.higher_is_better,
        outlook_years.projected_value,
        outlook_years.projection_method,
        -- What "already met" looks at: a sum's total so far, otherwise the latest yearly value.
        case
            when outlook_years.projection_method = 'run_rate' then outlook_years.value_to_date
            else outlook_years.latest_value
        end as value_reached
    from outlook_years
    inner join targets
        on
            outlook_years.unit_key = targets.unit_key
            and outlook_years.indicator_code = targets.indicator_code
            and outlook_years.term_code = targets.term_code
    inner join units
        on outlook_years.unit_key = units.unit_key
),

judged as (
    select
        unit_key,
        indicator_code,
        term_code,
        as_of_year,
        scheme,
        level,
        value_to_date,
        value_method,
        latest_value,
        last_year_with_value,
        n_years_reported,
        n_years_in_term,
        target_low,
        target_high,
        target_direction,
        target_text,
        target_per_year,
        target_value,
        target_is_upper_bound,
        higher_is_better,
        projected_value,
        projection_method,
        case
            when target_is_upper_bound then 100 * {{ safe_divide('target_value', 'projected_value') }}
            else 100 * {{ safe_divide('projected_value', 'target_value') }}
        end as projected_achievement_pct,
        -- 90 % and 110 % as 9/10 and 11/10 on both sides, so a value exactly at the mark is
        -- at risk whatever the binary fractions of 0.9 and 1.1.
        case
            when n_years_reported = 0 then 'no_data'
            -- A cap on a sum (at most so many in the term) is only met once the term is over.
            when
                target_is_upper_bound
                and value_reached <= target_value
                and (projection_method <> 'run_rate' or as_of_year >= term_end_year)
                then 'achieved'
            when not target_is_upper_bound and value_reached >= target_value then 'achieved'
            when target_is_upper_bound and projected_value <= target_value then 'on_track'
            when not target_is_upper_bound and projected_value >= target_value then 'on_track'
            when target_is_upper_bound and 10 * projected_value <= 11 * target_value then 'at_risk'
            when not target_is_upper_bound and 10 * projected_value >= 9 * target_value then 'at_risk'
            else 'off_track'
        end as status
    from joined
),

clerk as (
    select
        unit_key,
        indicator_code,
        term_code,
        as_of_year,
        clerk_assessment_text,
        clerk_status
    from {{ ref('int_clerk_assessments') }}
    where {{ only_units_to_rebuild('unit_key') }}
)

select
    judged.unit_key,
    judged.indicator_code,
    judged.term_code,
    judged.as_of_year,
    judged.scheme,
    judged.level,
    judged.value_to_date,
    judged.value_method,
    judged.latest_value,
    judged.last_year_with_value,
    judged.n_years_reported,
    judged.n_years_in_term,
    judged.target_low,
    judged.target_high,
    judged.target_direction,
    judged.target_text,
    judged.target_per_year,
    judged.target_value,
    judged.target_is_upper_bound,
    judged.higher_is_better,
    judged.projected_value,
    judged.projection_method,
    judged.projected_achievement_pct,
    judged.status,
    -- The unit's own verdict (Đánh giá / Khả năng đạt) for that year, as written, and
    -- whether it says the same as the projection: both "will be met" (achieved, on track)
    -- or both "will not" (at risk, off track). Null when either is unknown.
    clerk.clerk_assessment_text as clerk_assessment,
    case
        when clerk.clerk_status is null or judged.status = 'no_data' then null
        else
            (clerk.clerk_status in ('achieved', 'on_track'))
            = (judged.status in ('achieved', 'on_track'))
    end as agrees_with_clerk
from judged
left join clerk
    on
        judged.unit_key = clerk.unit_key
        and judged.indicator_code = clerk.indicator_code
        and judged.term_code = clerk.term_code
        and judged.as_of_year = clerk.as_of_year
