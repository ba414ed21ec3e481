{#-
    Sums and means of doubles that do not depend on the order rows reach the aggregate.

    DuckDB adds a group's doubles in whatever order its threads deliver them, so two
    builds of the same rows (a full and an incremental one, or two full ones) could differ
    in the last bits: 90.5 − 90.5 came out as −1.4e-14, and `improved` could flip. These
    collect the group's values in a fixed order (`order_by`: unique within the group) and
    add them in that order, which gives the same double every time. `where` is the
    aggregate's FILTER condition.
-#}

{% macro ordered_sum(expression, order_by, where=none) -%}
    list_sum({{ _ordered_list(expression, order_by, where) }})
{%- endmacro %}

{% macro ordered_avg(expression, order_by, where=none) -%}
    list_avg({{ _ordered_list(expression, order_by, where) }})
{%- endmacro %}

{% macro _ordered_list(expression, order_by, where) -%}
    list({{ expression }} order by {{ order_by }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}
