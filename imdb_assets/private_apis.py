"""Every private API of a dependency this project relies on, each here with why nothing public does the job.

imdb_assets_tests/test_private_apis.py checks each against the installed version and fails, naming the
dependency, its version and what to change, when an upgrade renames, removes or stops calling one.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging.version import Version

# dagster-dbt: the members of DbtCliResource that `DbtCliResource.cli` calls before every dbt command, to
# learn dbt's version (`dbt --version` in a subprocess) and to build an in-process dbt adapter. Its fields
# and settings offer no way to skip either (checked up to 0.29.27), and together they cost ~7 s of CPU per
# dbt step on a 2-core machine (benchmarks/scale_bench.py).
DBT_CLI_VERSION_MEMBER = "_cli_version"
DBT_CLI_ADAPTER_MEMBER = "_initialize_dbt_core_adapter"


class DbtCliWithoutStartupProbes(DbtCliResource):
    """DbtCliResource without its two start-up probes: the version of a dbt installed beside this Python is
    the installed dbt-core's, and the adapter only serves `fetch_row_counts()` / `fetch_column_metadata()`,
    which this project does not use (it counts rows itself: `Warehouse.model_row_counts`)."""

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return Version(installed_version("dbt-core"))
        return super()._cli_version  # another dbt (e.g. its own venv): ask it

    def _initialize_dbt_core_adapter(self, args):
        return None  # `cli()` accepts no adapter; only the row-count/column-metadata helpers need one
