-- The clerk_verdicts seed, cast, with each phrase folded as int_clerk_assessments folds a
-- verdict: the two fold expressions must stay the same for a verdict to find its phrase.

with source as (
    select
        phrase,
        status,
        note
    from {{ ref('clerk_verdicts') }}
)

select
    cast(phrase as varchar) as phrase,
    {{ fold_text('cast(phrase as varchar)') }} as folded_phrase,
    cast(status as varchar) as status,
    cast(note as varchar) as note
from source
