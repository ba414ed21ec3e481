{#- Text folded for matching, as flows/domain/textnorm.py folds it: lowercase, no
    diacritics (đ and its look-alike ð as d), runs of anything but letters, digits and %
    as one space. One definition, so a seed's phrases and the cells matched against them
    are folded alike. -#}
{% macro fold_text(text) -%}
    trim(regexp_replace(
        replace(replace(lower(strip_accents(nfc_normalize({{ text }}))), 'đ', 'd'), 'ð', 'd'),
        '[^a-z0-9%]+', ' ', 'g'
    ))
{%- endmacro %}
