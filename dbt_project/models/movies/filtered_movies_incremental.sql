{#
  Rated movies with a title and genres, one row per tconst, kept current snapshot after snapshot.

  Each run reads only the snapshots in the half-open window [min_date, max_date) that Dagster passes
  from the partition (a single day, or a whole range in one backfill run). Within the window the newest
  snapshot of a title wins. On incremental runs only rows that are new or whose content changed are
  merged, so `last_modified` is the snapshot date a row's current values came from, and a late backfill
  of an older date never overwrites newer data.
#}
{{ config(
    materialized='incremental',
    unique_key='tconst',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}

with basics as (
    select *
    from {{ source('imdb', 'title_basics') }}
    where snapshot_date >= cast('{{ var("min_date") }}' as date)
      and snapshot_date < cast('{{ var("max_date") }}' as date)
      and titleType = 'movie'
      and primaryTitle is not null
      and genres is not null
),

ratings as (
    select *
    from {{ source('imdb', 'title_ratings') }}
    where snapshot_date >= cast('{{ var("min_date") }}' as date)
      and snapshot_date < cast('{{ var("max_date") }}' as date)
      and averageRating is not null
),

joined as (
    select
        basics.tconst,
        basics.primaryTitle,
        basics.originalTitle,
        basics.isAdult,
        basics.startYear,
        basics.endYear,
        basics.runtimeMinutes,
        basics.genres,
        ratings.averageRating,
        ratings.numVotes,
        basics.snapshot_date as last_modified
    from basics
    inner join ratings
        on ratings.tconst = basics.tconst
        and ratings.snapshot_date = basics.snapshot_date
),

latest as (
    select *
    from joined
    qualify row_number() over (partition by tconst order by last_modified desc) = 1
)

select latest.*
from latest
{% if is_incremental() %}
left join {{ this }} as existing
    on existing.tconst = latest.tconst
where existing.tconst is null
    or (
        existing.last_modified < latest.last_modified
        and (
            existing.averageRating is distinct from latest.averageRating
            or existing.numVotes is distinct from latest.numVotes
            or existing.primaryTitle is distinct from latest.primaryTitle
            or existing.originalTitle is distinct from latest.originalTitle
            or existing.genres is distinct from latest.genres
            or existing.isAdult is distinct from latest.isAdult
            or existing.startYear is distinct from latest.startYear
            or existing.endYear is distinct from latest.endYear
            or existing.runtimeMinutes is distinct from latest.runtimeMinutes
        )
    )
{% endif %}
