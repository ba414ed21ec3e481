with source as (
    select
        submission_id,
        candidate_id,
        decision,
        corrected_value,
        corrected_period_code,
        note
    from {{ source('raw', 'review_decisions') }}
)

select
    cast(submission_id as varchar) as submission_id,
    cast(candidate_id as varchar) as candidate_id,
    cast(decision as varchar) as decision,
    cast(corrected_value as double) as corrected_value,
    cast(corrected_period_code as varchar) as corrected_period_code,
    cast(note as varchar) as note
from source
