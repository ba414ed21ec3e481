-- The current version of each unit × indicator × period: among the observations of
-- submissions that were not rejected, a table's value (a spreadsheet's or a report's Word
-- table's) beats a narrative one (a reviewer's accepted figure), an actual beats an
-- estimate, then the submission
-- that comes first in the one order of versions, int_submissions__status's
-- supersession_order (usable report date, received_at, submission_id: defined there
-- only), then the later row of the sheet. So the values of a unit and period come from the
-- submission int_submissions__status calls current, wherever it has them.

with observations as (
    select
        submission_id,
        unit_key,
        indicator_code,
        period_code,
        value,
        qualifier,
        denominator,
        is_estimate,
        target_text,
        target_low,
        target_high,
        target_direction,
        is_target_per_year,
        original_text,
        quality_status,
        quality_notes,
        source_file,
        file_sha256,
        source_sheet,
        source_cell,
        source_row,
        assessment_text
    from {{ ref('stg_raw__observations') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

submissions as (
    select
        submission_id,
        report_date,
        received_at,
        supersession_order,
        status,
        case source_kind when 'review' then 'narrative' else source_kind end as value_source_kind
    from {{ ref('int_submissions__status') }}
    where status <> 'rejected'
),

catalog as (
    select
        indicator_code,
        higher_is_better
    from {{ ref('stg_seeds__indicator_catalog') }}
),

ranked as (
    select
        observations.submission_id,
        observations.unit_key,
        observations.indicator_code,
        observations.period_code,
        observations.value,
        observations.qualifier,
        observations.denominator,
        observations.is_estimate,
        observations.target_text,
        observations.target_low,
        observations.target_high,
        observations.target_direction,
        observations.is_target_per_year,
        observations.original_text,
        observations.quality_status,
        observations.quality_notes,
        observations.source_file,
        observations.file_sha256,
        observations.source_sheet,
        observations.source_cell,
        observations.source_row,
        observations.assessment_text,
        submissions.report_date,
        submissions.received_at,
        submissions.status as submission_status,
        submissions.value_source_kind,
        catalog.higher_is_better,
        count(*) over (
            partition by observations.unit_key, observations.indicator_code, observations.period_code
        ) as n_versions,
        row_number() over (
            partition by observations.unit_key, observations.indicator_code, observations.period_code
            order by
                coalesce(submissions.value_source_kind = 'narrative', false) asc,
                observations.is_estimate asc,
                submissions.supersession_order asc,
                observations.source_row desc
        ) as version_rank
    from observations
    inner join submissions
        on observations.submission_id = submissions.submission_id
    left join catalog
        on observations.indicator_code = catalog.indicator_code
)

select
    unit_key,
    indicator_code,
    period_code,
    value,
    qualifier,
    denominator,
    is_estimate,
    target_text,
    target_low,
    target_high,
    target_direction,
    is_target_per_year,
    {{ target_value('target_low', 'target_high', 'target_direction', 'higher_is_better') }} as target_value,
    original_text,
    quality_status,
    quality_notes,
    submission_id,
    submission_status,
    report_date,
    received_at,
    source_file,
    file_sha256,
    source_sheet,
    source_cell,
    source_row,
    value_source_kind as source_kind,
    n_versions,
    assessment_text
from ranked
where version_rank = 1
