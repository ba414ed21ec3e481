with periods as (
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from {{ ref('int_periods') }}
)

select
    period_code,
    period_type,
    start_date,
    end_date,
    term_code,
    period_year as year,
    period_number,
    end_date - start_date + 1 as n_days
from periods
