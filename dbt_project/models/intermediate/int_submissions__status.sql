-- Every submission with its final status. An accepted submission is superseded when
-- another accepted one exists for the same unit and period with a later report_date,
-- or the same report_date and a later received_at (ties on both supersede neither).

with submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        source_file,
        source_sheet,
        report_date,
        received_at,
        raw_status,
        n_values,
        n_errors,
        n_warnings,
        n_unmapped_rows,
        reason
    from {{ ref('stg_raw__submissions') }}
),

accepted_ranked as (
    select
        submission_id,
        rank() over (
            partition by unit_key, period_code
            order by report_date desc nulls last, received_at desc
        ) as recency_rank,
        first_value(submission_id) over (
            partition by unit_key, period_code
            order by report_date desc nulls last, received_at desc, submission_id desc
        ) as latest_submission_id
    from submissions
    where
        raw_status = 'accepted'
        and unit_key is not null
        and period_code is not null
)

select
    submissions.submission_id,
    submissions.unit_key,
    submissions.period_code,
    submissions.source_file,
    submissions.source_sheet,
    submissions.report_date,
    submissions.received_at,
    submissions.raw_status,
    submissions.n_values,
    submissions.n_errors,
    submissions.n_warnings,
    submissions.n_unmapped_rows,
    submissions.reason,
    coalesce(accepted_ranked.recency_rank > 1, false) as is_superseded,
    case
        when accepted_ranked.recency_rank > 1 then accepted_ranked.latest_submission_id
    end as superseded_by_submission_id,
    case
        when submissions.raw_status = 'rejected' then 'rejected'
        when accepted_ranked.recency_rank > 1 then 'superseded'
        when submissions.n_warnings > 0 then 'loaded_with_warnings'
        else 'loaded'
    end as status
from submissions
left join accepted_ranked
    on submissions.submission_id = accepted_ranked.submission_id
