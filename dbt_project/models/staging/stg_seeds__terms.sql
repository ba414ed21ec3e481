with source as (
    select
        term_code,
        start_year,
        end_year,
        congress_vi
    from {{ ref('terms') }}
)

select
    cast(term_code as varchar) as term_code,
    cast(start_year as integer) as start_year,
    cast(end_year as integer) as end_year,
    cast(congress_vi as varchar) as congress_vi
from source
