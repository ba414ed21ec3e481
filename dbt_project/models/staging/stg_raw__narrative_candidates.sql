with source as (
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
        paragraph,
        sentence,
        confidence
    from {{ source('raw', 'narrative_candidates') }}
)

select
    cast(candidate_id as varchar) as candidate_id,
    cast(submission_id as varchar) as submission_id,
    cast(source_file as varchar) as source_file,
    cast(file_sha256 as varchar) as file_sha256,
    cast(unit_key as varchar) as unit_key,
    cast(report_period_code as varchar) as report_period_code,
    cast(period_code as varchar) as period_code,
    cast(indicator_code as varchar) as indicator_code,
    cast(value as double) as value,
    cast(qualifier as varchar) as qualifier,
    cast(denominator as double) as denominator,
    cast(reported_achievement_pct as double) as reported_achievement_pct,
    cast(figure_text as varchar) as figure_text,
    -- The warehouse contract names the column `location`, a keyword in some dialects.
    cast(location as varchar) as location,  -- noqa: RF04
    cast(paragraph as integer) as paragraph_number,
    cast(sentence as varchar) as sentence,
    cast(confidence as double) as confidence
from source
