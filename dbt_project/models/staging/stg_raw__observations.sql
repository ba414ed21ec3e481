with source as (
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
        target_per_year,
        original_text,
        quality_status,
        quality_notes,
        source_file,
        file_sha256,
        source_sheet,
        source_cell,
        source_row
    from {{ source('raw', 'observations') }}
)

select
    cast(submission_id as varchar) as submission_id,
    cast(unit_key as varchar) as unit_key,
    cast(indicator_code as varchar) as indicator_code,
    cast(period_code as varchar) as period_code,
    cast(value as double) as value,
    cast(qualifier as varchar) as qualifier,
    cast(denominator as double) as denominator,
    cast(is_estimate as boolean) as is_estimate,
    cast(target_text as varchar) as target_text,
    cast(target_low as double) as target_low,
    cast(target_high as double) as target_high,
    cast(target_direction as varchar) as target_direction,
    cast(target_per_year as boolean) as is_target_per_year,
    cast(original_text as varchar) as original_text,
    cast(quality_status as varchar) as quality_status,
    cast(quality_notes as varchar) as quality_notes,
    cast(source_file as varchar) as source_file,
    cast(file_sha256 as varchar) as file_sha256,
    cast(source_sheet as varchar) as source_sheet,
    cast(source_cell as varchar) as source_cell,
    cast(source_row as integer) as source_row
from source
