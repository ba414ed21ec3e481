{#-
    The bound to reach, from a parsed target:
    at_least -> low; at_most -> high; exact -> low;
    range -> low when higher is better (or unknown), high when lower is better.
    Without a direction, whichever bound is present (low first).
-#}
{% macro target_value(target_low, target_high, target_direction, higher_is_better) -%}
    case
        when {{ target_direction }} = 'at_least' then {{ target_low }}
        when {{ target_direction }} = 'at_most' then {{ target_high }}
        when {{ target_direction }} = 'exact' then coalesce({{ target_low }}, {{ target_high }})
        when {{ target_direction }} = 'range' and {{ higher_is_better }} = false
            then coalesce({{ target_high }}, {{ target_low }})
        when {{ target_direction }} = 'range' then coalesce({{ target_low }}, {{ target_high }})
        else coalesce({{ target_low }}, {{ target_high }})
    end
{%- endmacro %}
