with source as (
    select
        run_id,
        started_at,
        finished_at,
        files_seen
    from {{ source('raw', 'runs') }}
)

select
    cast(run_id as varchar) as run_id,
    cast(started_at as timestamp) as started_at,
    cast(finished_at as timestamp) as finished_at,
    cast(files_seen as integer) as files_seen
from source
