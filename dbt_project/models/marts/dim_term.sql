with terms as (
    select
        term_code,
        start_year,
        end_year,
        congress_vi
    from {{ ref('stg_seeds__terms') }}
)

select
    terms.term_code,
    terms.start_year,
    terms.end_year,
    terms.start_year + 1 as first_year,
    terms.end_year as last_year,
    least(terms.start_year + 3, terms.end_year) as mid_last_year,
    previous_terms.term_code as prev_term_code,
    next_terms.term_code as next_term_code,
    terms.congress_vi
from terms
left join terms as previous_terms
    on terms.start_year = previous_terms.end_year
left join terms as next_terms
    on terms.end_year = next_terms.start_year
