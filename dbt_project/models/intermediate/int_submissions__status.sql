-- Every submission with its final status, and the one order of versions that decides
-- which accepted submission is current for its unit and period. Defined here only: the
-- current values (int_observations__current) compare versions by supersession_order.
--
-- The order, newest first: the usable report date (later first, none last), then
-- received_at (later first), then submission_id (greater first: the stated tie-break,
-- deterministic because submission ids are unique). A report date is usable when it is
-- written and the gate did not judge it implausible (rule report_date_implausible in
-- raw.issues: more than a day after the file was received, or before the period).
-- An accepted submission is superseded when another accepted one for the same unit and
-- period, of the same version group, comes first in that order: exactly one is current
-- per unit, period and group. Tables (spreadsheets and a report's Word tables) are one
-- group; a report's prose (`document`, candidates only) and reviewed workbooks (`review`,
-- narrative values) are groups of their own, so that neither supersedes a sheet: a
-- sheet's value wins over a narrative one value by value (int_observations__current).

with implausible_report_dates as (
    select distinct submission_id
    from {{ ref('stg_raw__issues') }}
    where rule_name = 'report_date_implausible'
),

dated as (
    select
        submissions.submission_id,
        submissions.unit_key,
        submissions.period_code,
        submissions.source_file,
        submissions.source_sheet,
        submissions.report_date,
        submissions.received_at,
        submissions.raw_status,
        submissions.n_values,
        submissions.n_errors,
        submissions.n_warnings,
        submissions.n_unmapped_rows,
        submissions.reason,
        submissions.source_kind,
        case
            when submissions.source_kind in ('document', 'review') then submissions.source_kind
            else 'table'
        end as version_group,
        submissions.report_date is not null
        and implausible_report_dates.submission_id is null as report_date_used,
        case
            when implausible_report_dates.submission_id is null then submissions.report_date
        end as usable_report_date
    from {{ ref('stg_raw__submissions') }} as submissions
    left join implausible_report_dates
        on submissions.submission_id = implausible_report_dates.submission_id
),

ordered as (
    select
        submission_id,
        unit_key,
        period_code,
        source_file,
        source_sheet,
        report_date,
        received_at,
        raw_status,
        n_values,
        n_errors,
        n_warnings,
        n_unmapped_rows,
        reason,
        source_kind,
        version_group,
        report_date_used,
        usable_report_date,
        -- The one order of versions (1 = newest), over every submission.
        row_number() over (
            order by
                usable_report_date desc nulls last,
                received_at desc,
                submission_id desc
        ) as supersession_order
    from dated
),

accepted_ranked as (
    select
        submission_id,
        usable_report_date,
        received_at,
        row_number() over (
            partition by unit_key, period_code, version_group
            order by supersession_order
        ) as version_rank,
        first_value(submission_id) over (
            partition by unit_key, period_code, version_group
            order by supersession_order
        ) as current_submission_id,
        first_value(usable_report_date) over (
            partition by unit_key, period_code, version_group
            order by supersession_order
        ) as current_usable_report_date,
        first_value(received_at) over (
            partition by unit_key, period_code, version_group
            order by supersession_order
        ) as current_received_at
    from ordered
    where
        raw_status = 'accepted'
        and unit_key is not null
        and period_code is not null
)

select
    ordered.submission_id,
    ordered.unit_key,
    ordered.period_code,
    ordered.source_file,
    ordered.source_sheet,
    ordered.report_date,
    ordered.received_at,
    ordered.raw_status,
    ordered.n_values,
    ordered.n_errors,
    ordered.n_warnings,
    ordered.n_unmapped_rows,
    ordered.reason,
    ordered.source_kind,
    ordered.version_group,
    ordered.report_date_used,
    ordered.usable_report_date,
    ordered.supersession_order,
    coalesce(accepted_ranked.version_rank > 1, false) as is_superseded,
    case
        when accepted_ranked.version_rank > 1 then accepted_ranked.current_submission_id
    end as superseded_by_submission_id,
    -- What put the current version first: the first key of the order that differs.
    case
        when coalesce(accepted_ranked.version_rank, 1) = 1 then null
        when (
            accepted_ranked.usable_report_date
            is distinct from accepted_ranked.current_usable_report_date
        ) then 'report_date'
        when (
            accepted_ranked.received_at is distinct from accepted_ranked.current_received_at
        ) then 'received_at'
        else 'submission_id'
    end as supersession_basis,
    case
        when ordered.raw_status = 'rejected' then 'rejected'
        when accepted_ranked.version_rank > 1 then 'superseded'
        when ordered.n_warnings > 0 then 'loaded_with_warnings'
        else 'loaded'
    end as status
from ordered
left join accepted_ranked
    on ordered.submission_id = accepted_ranked.submission_id
