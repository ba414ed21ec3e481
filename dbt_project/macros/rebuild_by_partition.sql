{#-
    Incremental models rebuilt by partition (configured in dbt_project.yml).

    A full build (`dbt build --full-refresh`, or a first build) computes every row. An
    incremental build deletes the rows of the units in int_units__to_rebuild (whole
    partitions touched tonight) and appends them again, computed from inputs filtered to
    the same units. Equal to a full build because no row of these models depends on a
    unit of another partition (tests/singular/assert_units_stay_in_their_partition.sql).
-#}

{#- A predicate keeping the rows of `unit_column` to rebuild: `true` in a full build. -#}
{% macro only_units_to_rebuild(unit_column) -%}
    {#- ref() outside the branch, so dbt records the dependency when it parses. -#}
    {%- set units_to_rebuild = ref('int_units__to_rebuild') -%}
    {%- if is_incremental() -%}
        {{ unit_column }} in (select unit_key from {{ units_to_rebuild }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of an incremental build: drop the rows about to be rebuilt. -#}
{% macro delete_units_to_rebuild() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where unit_key in (select unit_key from {{ ref('int_units__to_rebuild') }})
    {%- endif -%}
{%- endmacro %}
