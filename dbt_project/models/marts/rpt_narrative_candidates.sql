-- One row per figure a report's prose states for a catalog indicator, with its review
-- status: the decision of the latest accepted reviewed workbook that decided on it (first
-- in int_submissions__status's supersession_order), else `pending`; and whether the
-- report is the current version of its unit and period's reports.

with candidates as (
    select
        candidate_id,
        submission_id,
        source_file,
        file_sha256,
        unit_key,
        report_period_code,
        period_code,
        indicator_code,
        value,
        qualifier,
        denominator,
        reported_achievement_pct,
        figure_text,
        location,
        paragraph_number,
        sentence,
        confidence
    from {{ ref('stg_raw__narrative_candidates') }}
),

documents as (
    select
        submission_id,
        not is_superseded as is_current_document
    from {{ ref('int_submissions__status') }}
),

reviews as (
    select
        submission_id,
        supersession_order
    from {{ ref('int_submissions__status') }}
    where raw_status = 'accepted' and source_kind = 'review'
),

decisions as (
    select
        review_decisions.candidate_id,
        review_decisions.submission_id,
        review_decisions.decision,
        review_decisions.corrected_value,
        review_decisions.corrected_period_code,
        review_decisions.note,
        row_number() over (
            partition by review_decisions.candidate_id
            order by reviews.supersession_order
        ) as decision_rank
    from {{ ref('stg_raw__review_decisions') }} as review_decisions
    inner join reviews
        on review_decisions.submission_id = reviews.submission_id
)

select
    candidates.candidate_id,
    candidates.source_file,
    candidates.file_sha256,
    candidates.unit_key,
    candidates.report_period_code,
    candidates.period_code,
    candidates.indicator_code,
    candidates.value,
    candidates.qualifier,
    candidates.denominator,
    candidates.reported_achievement_pct,
    candidates.figure_text,
    candidates.location,
    candidates.paragraph_number,
    candidates.sentence,
    candidates.confidence,
    coalesce(decisions.decision, 'pending') as review_status,
    decisions.corrected_value,
    decisions.corrected_period_code,
    decisions.note as review_note,
    decisions.submission_id as review_submission_id,
    candidates.submission_id as document_submission_id,
    coalesce(documents.is_current_document, false) as is_current_document
from candidates
left join documents
    on candidates.submission_id = documents.submission_id
left join decisions
    on
        candidates.candidate_id = decisions.candidate_id
        and decisions.decision_rank = 1
