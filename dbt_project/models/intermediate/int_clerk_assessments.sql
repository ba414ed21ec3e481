-- The clerk's own verdict on each unit × indicator × term × as_of_year: the text of a
-- sheet's assessment column (`Đánh giá`, `Khả năng đạt`), normalised into the statuses of
-- the mid-term outlook by the clerk_verdicts seed.
--
-- Read from the current observations (int_observations__current) of the submissions
-- whose own period lies in the term: a verdict is about the sheet, so its as_of_year is
-- the last year the sheet's period covers within the term (int_periods.period_year: a
-- year sheet its year, a quarter or half its year, the mid-term review S+3, the whole
-- term E). One sheet row gives one verdict for all its values; when several submissions
-- give one for the same as_of_year, the latest wins (int_submissions__status's
-- supersession_order, the one order of versions). A submission without a period, or
-- none in a term, gives no verdict.

with assessed as (
    select
        unit_key,
        indicator_code,
        period_code,
        assessment_text,
        submission_id,
        source_row
    from {{ ref('int_observations__current') }}
    where nullif(trim(assessment_text), '') is not null
),

submissions as (
    select
        submission_id,
        period_code as sheet_period_code,
        source_file,
        source_sheet,
        supersession_order
    from {{ ref('int_submissions__status') }}
),

periods as (
    select
        period_code,
        period_year,
        term_code
    from {{ ref('int_periods') }}
),

verdicts as (
    select
        folded_phrase,
        status
    from {{ ref('stg_seeds__clerk_verdicts') }}
),

-- One verdict per submission × unit × indicator: a sheet repeats its row's verdict on
-- every value; of two rows for one indicator, the later one's, as for the values.
by_sheet as (
    select
        assessed.unit_key,
        assessed.indicator_code,
        assessed.assessment_text,
        assessed.submission_id,
        assessed.source_row,
        submissions.sheet_period_code,
        submissions.source_file,
        submissions.source_sheet,
        submissions.supersession_order,
        periods.term_code,
        periods.period_year as as_of_year,
        row_number() over (
            partition by assessed.submission_id, assessed.unit_key, assessed.indicator_code
            order by assessed.source_row desc, assessed.period_code desc
        ) as row_rank
    from assessed
    inner join submissions
        on assessed.submission_id = submissions.submission_id
    inner join periods
        on submissions.sheet_period_code = periods.period_code
),

latest as (
    select
        unit_key,
        indicator_code,
        term_code,
        as_of_year,
        assessment_text,
        {{ fold_text('assessment_text') }} as folded_text,
        submission_id,
        sheet_period_code,
        source_file,
        source_sheet,
        source_row,
        count(*) over (
            partition by unit_key, indicator_code, term_code, as_of_year
        ) as n_submissions,
        row_number() over (
            partition by unit_key, indicator_code, term_code, as_of_year
            order by supersession_order asc
        ) as submission_rank
    from by_sheet
    where row_rank = 1
),

-- The longest phrase the folded verdict equals or starts with, followed by a space: so
-- `khong dat` never takes `dat`'s status, and `dat ke hoach` takes its own over `dat`'s.
matched as (
    select
        latest.unit_key,
        latest.indicator_code,
        latest.term_code,
        latest.as_of_year,
        verdicts.folded_phrase,
        verdicts.status,
        row_number() over (
            partition by latest.unit_key, latest.indicator_code, latest.term_code, latest.as_of_year
            order by length(verdicts.folded_phrase) desc
        ) as phrase_rank
    from latest
    inner join verdicts
        on
            latest.folded_text = verdicts.folded_phrase
            or starts_with(latest.folded_text, verdicts.folded_phrase || ' ')
    where latest.submission_rank = 1
)

select
    latest.unit_key,
    latest.indicator_code,
    latest.term_code,
    latest.as_of_year,
    latest.assessment_text as clerk_assessment_text,
    matched.status as clerk_status,
    matched.folded_phrase as matched_phrase,
    latest.submission_id,
    latest.sheet_period_code,
    latest.source_file,
    latest.source_sheet,
    latest.source_row,
    latest.n_submissions
from latest
left join matched
    on
        latest.unit_key = matched.unit_key
        and latest.indicator_code = matched.indicator_code
        and latest.term_code = matched.term_code
        and latest.as_of_year = matched.as_of_year
        and matched.phrase_rank = 1
where latest.submission_rank = 1
