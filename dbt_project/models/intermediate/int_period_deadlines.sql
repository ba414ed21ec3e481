-- Every period with the date its reports are due: end_date + the seed's days_after_end
-- for its period type. A period type missing from the seed has no deadline (null), so
-- nothing is ever called late against a rule nobody set.

with periods as (
    select
        period_code,
        period_type,
        start_date,
        end_date
    from {{ ref('int_periods') }}
),

deadlines as (
    select
        period_type,
        days_after_end
    from {{ ref('stg_seeds__reporting_deadlines') }}
)

select
    periods.period_code,
    periods.period_type,
    periods.start_date,
    periods.end_date,
    deadlines.days_after_end,
    cast(periods.end_date + deadlines.days_after_end as date) as deadline
from periods
left join deadlines
    on periods.period_type = deadlines.period_type
