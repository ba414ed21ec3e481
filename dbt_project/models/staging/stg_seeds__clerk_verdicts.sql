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
    -- Folded: lowercase, no diacritics (đ and a look-alike ð as d), runs of anything but
    -- letters, digits and % as one space.
    trim(regexp_replace(
        replace(replace(lower(strip_accents(nfc_normalize(cast(phrase as varchar)))), 'đ', 'd'), 'ð', 'd'),
        '[^a-z0-9%]+', ' ', 'g'
    )) as folded_phrase,
    cast(status as varchar) as status,
    cast(note as varchar) as note
from source
