-- Every period a term can hold, generated from the terms: years S+1..E, their quarters
-- and halves, the mid-term review S-E-MID (S+1-01-01..S+3-12-31) and the whole term
-- S-E (S+1-01-01..E-12-31). A year Y belongs to the term S-E with S < Y <= E.

with terms as (
    select
        term_code,
        start_year,
        end_year
    from {{ ref('stg_seeds__terms') }}
),

years as (
    select
        terms.term_code,
        cast(term_years.period_year as integer) as period_year
    from terms
    cross join lateral range(terms.start_year + 1, terms.end_year + 1) as term_years (period_year)
),

yearly as (
    select
        cast(period_year as varchar) as period_code,
        'year' as period_type,
        period_year,
        cast(null as integer) as period_number,
        make_date(period_year, 1, 1) as start_date,
        make_date(period_year, 12, 31) as end_date,
        term_code
    from years
),

quarters as (
    select
        cast(years.period_year as varchar) || '-Q' || cast(q.quarter_number as varchar) as period_code,
        'quarter' as period_type,
        years.period_year,
        cast(q.quarter_number as integer) as period_number,
        make_date(years.period_year, cast(3 * q.quarter_number - 2 as integer), 1) as start_date,
        cast(
            make_date(years.period_year, cast(3 * q.quarter_number - 2 as integer), 1)
            + interval 3 month - interval 1 day as date
        ) as end_date,
        years.term_code
    from years
    cross join range(1, 5) as q (quarter_number)
),

halves as (
    select
        cast(years.period_year as varchar) || '-H' || cast(h.half_number as varchar) as period_code,
        'half_year' as period_type,
        years.period_year,
        cast(h.half_number as integer) as period_number,
        make_date(years.period_year, cast(6 * h.half_number - 5 as integer), 1) as start_date,
        case
            when h.half_number = 1 then make_date(years.period_year, 6, 30)
            else make_date(years.period_year, 12, 31)
        end as end_date,
        years.term_code
    from years
    cross join range(1, 3) as h (half_number)
),

mid_terms as (
    select
        term_code || '-MID' as period_code,
        'mid_term' as period_type,
        start_year + 3 as period_year,
        cast(null as integer) as period_number,
        make_date(start_year + 1, 1, 1) as start_date,
        make_date(start_year + 3, 12, 31) as end_date,
        term_code
    from terms
),

whole_terms as (
    select
        term_code as period_code,
        'term' as period_type,
        end_year as period_year,
        cast(null as integer) as period_number,
        make_date(start_year + 1, 1, 1) as start_date,
        make_date(end_year, 12, 31) as end_date,
        term_code
    from terms
),

unioned as (
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from yearly
    union all
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from quarters
    union all
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from halves
    union all
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from mid_terms
    union all
    select
        period_code,
        period_type,
        period_year,
        period_number,
        start_date,
        end_date,
        term_code
    from whole_terms
)

select
    period_code,
    period_type,
    period_year,
    period_number,
    start_date,
    end_date,
    term_code
from unioned
