{% macro snapshot_window() %}
    {#-
      The half-open window [min_date, max_date) of snapshots one run reads, and its length in days.

      Dagster passes the partition window in the environment (IMDB_ASSETS_DBT_MIN_DATE / _MAX_DATE,
      imdb_assets/transform/window.py); by hand, `--vars '{min_date: ..., max_date: ...}'` or the defaults
      in dbt_project.yml. The environment is read only while executing, never while parsing: dbt records
      every env var a model reads during parsing and re-parses the model when its value changes, and a CLI
      `--vars` invalidates the whole saved parse. Either would make every new partition pay a re-parse.
    -#}
    {%- set min_date = var('min_date') -%}
    {%- set max_date = var('max_date') -%}
    {%- if execute -%}
        {%- set min_date = env_var('IMDB_ASSETS_DBT_MIN_DATE', min_date) -%}
        {%- set max_date = env_var('IMDB_ASSETS_DBT_MAX_DATE', max_date) -%}
    {%- endif -%}
    {#- The dates are written into SQL: anything but YYYY-MM-DD stops the run here, named. -#}
    {%- for name, value in [('min_date', min_date), ('max_date', max_date)] -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
            {{ exceptions.raise_compiler_error("snapshot window: " ~ name ~ "=" ~ (value | string) ~ " is not a date (YYYY-MM-DD)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set days = (modules.datetime.date.fromisoformat(max_date | string) - modules.datetime.date.fromisoformat(min_date | string)).days -%}
    {%- if days < 1 -%}
        {{ exceptions.raise_compiler_error("snapshot window: [" ~ min_date ~ ", " ~ max_date ~ ") is empty") }}
    {%- endif -%}
    {{ return({'min_date': min_date | string, 'max_date': max_date | string, 'days': days}) }}
{% endmacro %}
