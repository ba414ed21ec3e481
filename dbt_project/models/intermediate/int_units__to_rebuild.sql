-- The units whose rows an incremental build rebuilds: every unit of each partition
-- (int_unit_partitions) where a submission arrived that no published build has read,
-- i.e. staged by a run not recorded in raw.runs (a run is recorded only once its build
-- passed, and an unpublished build file is thrown away). Units unknown to the reference
-- are rebuilt on their own. Read only by incremental builds (macros/rebuild_by_partition.sql);
-- a full build rebuilds every unit.

with recorded_runs as (
    select run_id
    from {{ ref('stg_raw__runs') }}
),

unbuilt_submissions as (
    select
        submissions.submission_id,
        submissions.unit_key
    from {{ ref('stg_raw__submissions') }} as submissions
    left join recorded_runs
        on submissions.run_id = recorded_runs.run_id
    where recorded_runs.run_id is null
),

touched_units as (
    select unit_key
    from unbuilt_submissions
    where unit_key is not null
    union
    select observations.unit_key
    from {{ ref('stg_raw__observations') }} as observations
    inner join unbuilt_submissions
        on observations.submission_id = unbuilt_submissions.submission_id
    where observations.unit_key is not null
),

partitions as (
    select
        unit_key,
        partition_key
    from {{ ref('int_unit_partitions') }}
),

touched_partitions as (
    select distinct partitions.partition_key
    from touched_units
    inner join partitions
        on touched_units.unit_key = partitions.unit_key
)

select partitions.unit_key
from partitions
inner join touched_partitions
    on partitions.partition_key = touched_partitions.partition_key
union
select touched_units.unit_key
from touched_units
left join partitions
    on touched_units.unit_key = partitions.unit_key
where partitions.unit_key is null
