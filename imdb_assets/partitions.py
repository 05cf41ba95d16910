"""The snapshot calendar shared by the raw tables and the dbt model: one partition per IMDb snapshot date."""

from dagster import DailyPartitionsDefinition

# end_offset=1 makes today's date a partition, so today's snapshot can be loaded today.
snapshot_partitions = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1, timezone="UTC")
