with source as (
    select
        submission_id,
        source_file,
        source_sheet,
        source_row,
        code_text,
        name_text,
        unit_text,
        values_text
    from {{ source('raw', 'unmapped_rows') }}
)

select
    cast(submission_id as varchar) as submission_id,
    cast(source_file as varchar) as source_file,
    cast(source_sheet as varchar) as source_sheet,
    cast(source_row as integer) as source_row,
    cast(code_text as varchar) as code_text,
    cast(name_text as varchar) as name_text,
    cast(unit_text as varchar) as unit_text,
    cast(values_text as varchar) as values_text
from source
