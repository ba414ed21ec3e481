with current_values as (
    select
        unit_key,
        indicator_code,
        period_code,
        value,
        qualifier,
        denominator,
        is_estimate,
        target_value,
        target_text,
        target_low,
        target_high,
        target_direction,
        is_target_per_year,
        original_text,
        quality_status,
        quality_notes,
        submission_id,
        report_date,
        received_at,
        source_file,
        file_sha256,
        source_sheet,
        source_cell,
        source_row,
        source_kind,
        n_versions
    from {{ ref('int_observations__current') }}
    where {{ only_units_to_rebuild('unit_key') }}
),

periods as (
    select
        period_code,
        period_type,
        period_year
    from {{ ref('int_periods') }}
)

select
    current_values.unit_key,
    current_values.indicator_code,
    current_values.period_code,
    periods.period_type,
    periods.period_year as year,
    current_values.value,
    current_values.qualifier,
    current_values.denominator,
    current_values.is_estimate,
    current_values.target_value,
    current_values.target_text,
    current_values.target_low,
    current_values.target_high,
    current_values.target_direction,
    current_values.is_target_per_year as target_per_year,
    current_values.original_text,
    current_values.quality_status,
    current_values.quality_notes,
    current_values.submission_id,
    current_values.report_date,
    current_values.received_at,
    current_values.source_file,
    current_values.file_sha256,
    current_values.source_sheet,
    current_values.source_cell,
    current_values.source_row,
    current_values.source_kind,
    current_values.n_versions
from current_values
left join periods
    on current_values.period_code = periods.period_code
