-- One row per term × basis × year of its window: basis `full` covers
-- first_year..last_year (S+1..E), basis `mid` first_year..mid_last_year (S+1..S+3).

with terms as (
    select
        term_code,
        start_year,
        end_year
    from {{ ref('stg_seeds__terms') }}
),

bases as (
    select
        term_code,
        'full' as basis,
        start_year + 1 as first_year,
        end_year as window_last_year
    from terms
    union all
    select
        term_code,
        'mid' as basis,
        start_year + 1 as first_year,
        least(start_year + 3, end_year) as window_last_year
    from terms
)

select
    bases.term_code,
    bases.basis,
    cast(window_years.window_year as integer) as window_year,
    bases.first_year,
    bases.window_last_year,
    bases.window_last_year - bases.first_year + 1 as n_years_in_window
from bases
cross join lateral range(bases.first_year, bases.window_last_year + 1) as window_years (window_year)
