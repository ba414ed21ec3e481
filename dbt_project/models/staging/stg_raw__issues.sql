with source as (
    select
        submission_id,
        severity,
        rule,
        indicator_code,
        period_code,
        source_cell,
        message
    from {{ source('raw', 'issues') }}
)

select
    cast(submission_id as varchar) as submission_id,
    cast(severity as varchar) as severity,
    cast(rule as varchar) as rule_name,
    cast(indicator_code as varchar) as indicator_code,
    cast(period_code as varchar) as period_code,
    cast(source_cell as varchar) as source_cell,
    cast(message as varchar) as message
from source
