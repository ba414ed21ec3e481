-- The status and the facts agree. Where the submission rpt_submission_status calls
-- current for a unit and period holds a value of a unit × indicator × period,
-- fct_indicator_value keeps that submission's value, not one of another submission of
-- the same unit and period (a superseded version, or a tie's loser). The one exception
-- is by design: an actual of an older version beats an estimate of the current one. So is
-- the other: a table's value beats a narrative one (a reviewed workbook's), whatever the
-- review's version.
-- Values of sheets of another period (a term sheet's year columns) compete by the same
-- order but are not about this report, so they are not compared here.
-- One row per disagreement.

with submissions as (
    select
        submission_id,
        unit_key,
        period_code,
        raw_status,
        status,
        version_group
    from {{ ref('rpt_submission_status') }}
),

current_observations as (
    select distinct
        observations.unit_key,
        observations.indicator_code,
        observations.period_code,
        observations.is_estimate,
        submissions.submission_id,
        submissions.period_code as submission_period_code,
        submissions.version_group
    from {{ ref('stg_raw__observations') }} as observations
    inner join submissions
        on observations.submission_id = submissions.submission_id
    where
        submissions.raw_status = 'accepted'
        and submissions.status <> 'superseded'
),

facts as (
    select
        fct.unit_key,
        fct.indicator_code,
        fct.period_code,
        fct.is_estimate,
        fct.submission_id,
        submissions.period_code as submission_period_code,
        submissions.version_group
    from {{ ref('fct_indicator_value') }} as fct
    inner join submissions
        on fct.submission_id = submissions.submission_id
)

select
    facts.unit_key,
    facts.indicator_code,
    facts.period_code,
    facts.submission_id as fact_submission_id,
    current_observations.submission_id as current_submission_id
from facts
inner join current_observations
    on
        facts.unit_key = current_observations.unit_key
        and facts.indicator_code = current_observations.indicator_code
        and facts.period_code = current_observations.period_code
        and facts.submission_period_code = current_observations.submission_period_code
where
    facts.submission_id <> current_observations.submission_id
    and (facts.is_estimate or not current_observations.is_estimate)
    and not (current_observations.version_group = 'review' and facts.version_group = 'table')
