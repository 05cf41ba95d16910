"""The scale benchmark's parts: measuring a process, one step in a process, dbt scan counters, the naive baseline, the report."""
