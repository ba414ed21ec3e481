with source as (
    select
        period_type,
        days_after_end,
        rule_vi,
        rule_en
    from {{ ref('reporting_deadlines') }}
)

select
    cast(period_type as varchar) as period_type,
    cast(days_after_end as integer) as days_after_end,
    cast(rule_vi as varchar) as rule_vi,
    cast(rule_en as varchar) as rule_en
from source
