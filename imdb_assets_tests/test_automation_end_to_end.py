"""A new snapshot flows through a running Dagster: `imdb-assets ingest` -> sensor -> dbt -> downstream.

`dagster dev` (webserver, daemon, code server) runs through the project's wrapper with a private
instance and home; the test ingests today's snapshot with the CLI, as an upstream loader would, and
polls the instance until the dbt partition and then the CSV, dataset, features and model have
materialized. The wrapper is stopped with one SIGTERM, as `kill` would, and nothing may be left running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from imdb_assets.automation.supervisor import describe
from imdb_assets.settings import BUNDLED_SAMPLE_DIR, REPO_DIR
from imdb_assets_tests.browser import CHROMIUM_ARGS, require_chromium
from imdb_assets_tests.dagster_dev_process import DagsterDev
from imdb_assets_tests.imdb_files import changed_sample
from imdb_assets_tests.processes import free_port

ALL_ROLES = (
    "raw_title_basics",
    "raw_title_ratings",
    "filtered_movies_incremental",
    "movies_csv",
    "movies_dataset",
    "movie_features",
    "enjoyment_model",
)

DOWNSTREAM = ["movies_csv", "movies_dataset", "movie_features", "enjoyment_model"]
RAW = {AssetKey("raw_title_basics"), AssetKey("raw_title_ratings")}
STARTUP_TIMEOUT_SECONDS = 180
FLOW_TIMEOUT_SECONDS = 300


def dev_environment(home: Path) -> dict[str, str]:
    """This process's environment for `dagster dev` on `home`, with short sensor and automation ticks."""
    env = {k: v for k, v in os.environ.items() if k not in ("IMDB_ASSETS_SOURCE", "DAGSTER_HOME")}
    env.update(
        IMDB_ASSETS_HOME=str(home),
        IMDB_ASSETS_SENSOR_INTERVAL_SECONDS="3",
        IMDB_ASSETS_AUTOMATION_INTERVAL_SECONDS="3",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(condition, timeout: float, what: str, dev: DagsterDev, poll: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if dev.process.poll() is not None:
            pytest.fail(f"dagster dev exited ({dev.process.returncode}) while waiting for {what}:\n{dev.log_tail()}")
        if dev.code_server_error():
            pytest.fail(f"the code server failed while waiting for {what}:\n{dev.log_tail()}")
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{dev.log_tail()}")


def daemons_ready(instance: DagsterInstance) -> bool:
    beats = {h.daemon_type for h in instance.get_daemon_heartbeats().values()}
    return {"SENSOR", "ASSET", "QUEUED_RUN_COORDINATOR"} <= beats


INSTIGATORS_QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
    sensors { name sensorState { status } } schedules { name scheduleState { status } } } } } }"""


def assert_ui_shows_the_asset_graph(port: int, screenshot: Path) -> None:
    """The UI loads in a real browser: the lineage view draws the areas in data order, the catalog lists
    every role of the graph."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/asset-groups", timeout=60_000)
            for group in ("ingest", "transform", "dataset", "features", "model"):
                page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(screenshot))
            page.goto(f"http://127.0.0.1:{port}/assets", timeout=60_000)
            for key in ALL_ROLES:
                page.get_by_text(key, exact=True).first.wait_for(timeout=60_000)
        finally:
            browser.close()


def instigator_states(port: int) -> dict[str, str] | None:
    """Sensor and schedule statuses as the webserver reports them (None until it answers)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": INSTIGATORS_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            repositories = json.load(response)["data"]["repositoriesOrError"]["nodes"]
    except (OSError, KeyError, TypeError, ValueError):
        return None
    states = {}
    for repository in repositories:
        states.update({s["name"]: s["sensorState"]["status"] for s in repository["sensors"]})
        states.update({s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]})
    return states or None


def failed_runs(instance: DagsterInstance) -> list[str]:
    runs = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]))
    return [f"{r.job_name} {r.run_id} {r.status.value}" for r in runs]


def latest(instance: DagsterInstance, key: str, partition: str | None = None):
    """The latest materialization record of an asset (or of one of its partitions), if any."""
    partitions = [partition] if partition is not None else None
    records_filter = AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=partitions)
    records = instance.fetch_materializations(records_filter, limit=1).records
    return records[0] if records else None


@pytest.mark.slow  # about 1.5-3 minutes on 2 cores
def test_ingested_snapshot_is_built_and_refreshed_by_a_running_dagster(tmp_path: Path):
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    env = dev_environment(home)
    port = free_port()
    dev = DagsterDev(
        dagster_home,
        env,
        ["-w", str(REPO_DIR / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],  # what `make dev` loads
        tmp_path / "dagster_dev.log",
    )
    today = datetime.now(timezone.utc).date().isoformat()
    instance = None
    try:
        dev.start()
        # What `make dev` shows in the UI: both sensors and the gc schedule running, the ingest schedule off. (Asked first:
        # once the webserver answers, the instance's storage exists and this process may open it too.)
        states = wait_for(
            lambda: instigator_states(port), STARTUP_TIMEOUT_SECONDS, "the webserver's GraphQL answer", dev
        )
        assert states == {
            "new_warehouse_partitions": "RUNNING",
            "refresh_downstream": "RUNNING",
            "daily_imdb_ingest": "STOPPED",
            "daily_garbage_collection": "RUNNING",
            "new_prediction_log_files": "RUNNING",  # the monitoring loop: on, idle while the log is empty
            "retrain_on_monitoring_alert": "STOPPED",  # the retraining signal: off by default
        }
        config = yaml.safe_load((dagster_home / "dagster.yaml").read_text())  # written by the wrapper
        assert config["telemetry"] == {"enabled": False} and config["nux"] == {"enabled": False}
        assert config["run_queue"] == {"max_concurrent_runs": 1}
        assert_ui_shows_the_asset_graph(port, tmp_path / "dagster-ui.png")
        instance = DagsterInstance.from_config(str(dagster_home))
        wait_for(lambda: daemons_ready(instance), STARTUP_TIMEOUT_SECONDS, "the daemons' first heartbeats", dev)

        started = time.monotonic()
        ingest = subprocess.run(
            [
                str(Path(sys.executable).parent / "imdb-assets"),
                "ingest",
                "--source",
                str(BUNDLED_SAMPLE_DIR),
                "--snapshot-date",
                today,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,  # the assertion below shows the CLI's error line
        )
        assert ingest.returncode == 0, ingest.stderr

        def flowed():
            failures = failed_runs(instance)
            if failures:
                pytest.fail(f"runs failed: {failures}\n{dev.log_tail()}")
            records = [latest(instance, "filtered_movies_incremental", today)] + [
                latest(instance, key) for key in DOWNSTREAM
            ]
            return records if all(records) else None

        dbt_record, *downstream = wait_for(
            flowed, FLOW_TIMEOUT_SECONDS, "the dbt partition and the downstream assets", dev
        )
        flow_seconds = time.monotonic() - started

        dbt_run = instance.get_run_by_id(dbt_record.run_id)
        assert dbt_run.job_name == "dbt_snapshot_job"
        assert dbt_run.tags["dagster/sensor_name"] == "new_warehouse_partitions"
        assert dbt_run.tags["dagster/partition"] == today
        assert dbt_run.tags["dagster/run_key"].startswith(f"{today}@")
        # The raw load happened outside Dagster: the sensor recorded it (a runless materialization).
        for raw_key in RAW:
            raw = latest(instance, raw_key.to_user_string(), today)
            assert raw is not None and raw.run_id == ""
        # Automation refreshed each downstream asset once, after dbt, in lineage order. (movies_csv has
        # blocking checks of its own, so it runs first and the rest follow once they pass.)
        for key in DOWNSTREAM:
            assert len(instance.fetch_materializations(AssetKey(key), limit=10).records) == 1, key
        for record in downstream:
            assert instance.get_run_by_id(record.run_id).tags.get("dagster/sensor_name") == "refresh_downstream"
        times = [dbt_record.timestamp] + [r.timestamp for r in downstream]
        assert times == sorted(times)
        # Nothing re-ingested raw from the default source: one dbt run, and no run targeted the raw tables.
        runs = instance.get_runs()
        assert [r.job_name for r in runs].count("dbt_snapshot_job") == 1
        assert all(r.job_name != "raw_ingest_job" and not (r.asset_selection or set()) & RAW for r in runs)
        print(f"snapshot {today}: ingest to model in {flow_seconds:.0f}s")
        # The leftover check below finds processes by their DAGSTER_HOME: it sees the running ones now.
        assert len(dev.leftovers()) >= 3  # dagster dev, its webserver, daemon and code server
    finally:
        if instance is not None:
            instance.dispose()
        survivors = dev.stop() if dev.process is not None else []
        survivors_described = ", ".join(describe(pid) for pid in survivors)  # before they are killed
        dev.kill_everything()
    assert survivors == [], f"processes still running after SIGTERM: {survivors_described}\n{dev.log_tail()}"
    assert dev.leftovers() == []


RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"
TICKS_QUERY = """query Ticks($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 20) { status timestamp } } } } }"""
BLOCKING_CHECKS = {
    "movies_csv": ("row_count_vs_previous", "null_and_duplicate_rates", "titles_not_empty_after_cleaning"),
    "enjoyment_model": ("artifact_reproduces_predictions",),
}


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer
    return answer["data"]


def runs_seen_by_the_webserver(port: int) -> list[dict]:
    return graphql(port, RUNS_QUERY)["runsOrError"]["results"]


def sensor_ticks_since(port: int, sensor_name: str, since: float) -> int:
    selector = {"repositoryName": "__repository__", "repositoryLocationName": "imdb_assets", "sensorName": sensor_name}
    sensor = graphql(port, TICKS_QUERY, {"selector": selector})["sensorOrError"]
    ticks = (sensor.get("sensorState") or {}).get("ticks") or []
    return sum(1 for t in ticks if t["timestamp"] >= since)


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "imdb-assets"), *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def assert_blocking_checks_ran_in_their_assets_runs(instance: DagsterInstance, run_ids: set[str]) -> None:
    for run_id in run_ids:
        materialized = {
            e.asset_materialization.asset_key.to_user_string()
            for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        }
        evaluated = {
            (e.asset_check_evaluation.asset_key.to_user_string(), e.asset_check_evaluation.check_name)
            for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        }
        for asset, names in BLOCKING_CHECKS.items():
            if asset in materialized:
                assert {(asset, n) for n in names} <= evaluated, (run_id, asset, evaluated)
        if "filtered_movies_incremental" in materialized:  # the dbt tests, as blocking checks
            assert any(a == "filtered_movies_incremental" for a, _ in evaluated), run_id


@pytest.mark.slow  # `imdb-assets run`, then `dagster dev` on its home and one reload: 3-5 minutes on 2 cores
def test_dev_on_a_home_the_cli_built_launches_nothing_until_a_changed_snapshot_arrives(tmp_path: Path):
    home = tmp_path / "home"
    dagster_home = home / "dagster"  # what `make dev` uses: the instance `imdb-assets run` wrote to
    env = dev_environment(home)
    built = cli(env, "run")
    assert built.returncode == 0, built.stderr
    today = datetime.now(timezone.utc).date().isoformat()

    port = free_port()
    dev = DagsterDev(
        dagster_home, env, ["-w", str(REPO_DIR / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        tmp_path / "dagster_dev.log",
    )
    instance = None
    try:
        dev.start()
        wait_for(lambda: instigator_states(port), STARTUP_TIMEOUT_SECONDS, "the webserver's GraphQL answer", dev)
        [cli_run] = runs_seen_by_the_webserver(port)
        assert cli_run["jobName"] == "snapshot_pipeline_job" and cli_run["status"] == "SUCCESS"
        # Two ticks of each sensor on the built home: nothing to build, nothing to refresh.
        since = time.time()
        wait_for(
            lambda: all(sensor_ticks_since(port, name, since) >= 2 for name in ("new_warehouse_partitions", "refresh_downstream")),
            STARTUP_TIMEOUT_SECONDS, "two ticks of each sensor", dev,
        )
        assert [r["runId"] for r in runs_seen_by_the_webserver(port)] == [cli_run["runId"]]

        instance = DagsterInstance.from_config(str(dagster_home))
        models_before = len(instance.fetch_materializations(AssetKey("enjoyment_model"), limit=100).records)
        reloaded = cli(env, "ingest", "--source", str(changed_sample(tmp_path / "changed")), "--snapshot-date", today)
        assert reloaded.returncode == 0, reloaded.stderr

        def refreshed():
            runs = runs_seen_by_the_webserver(port)
            bad = [r for r in runs if r["status"] in ("FAILURE", "CANCELED")]
            if bad:
                pytest.fail(f"runs failed: {bad}\n{dev.log_tail()}")
            if any(r["status"] != "SUCCESS" for r in runs):
                return None
            models = instance.fetch_materializations(AssetKey("enjoyment_model"), limit=100).records
            return runs if len(models) > models_before else None

        runs = wait_for(refreshed, FLOW_TIMEOUT_SECONDS, "the reload to reach enjoyment_model", dev)
        new_runs = [r for r in runs if r["runId"] != cli_run["runId"]]
        launched_by = sorted(({t["key"]: t["value"] for t in r["tags"]}.get("dagster/sensor_name"), r["jobName"]) for r in new_runs)
        # One dbt build of the reloaded date, then one refresh of everything below it.
        assert [job for sensor, job in launched_by if sensor == "new_warehouse_partitions"] == ["dbt_snapshot_job"]
        assert [sensor for sensor, _ in launched_by] == ["new_warehouse_partitions", "refresh_downstream"], launched_by
        assert all(r["status"] == "SUCCESS" for r in runs)
        assert_blocking_checks_ran_in_their_assets_runs(instance, {r["runId"] for r in runs})
        dbt_record = latest(instance, "filtered_movies_incremental", today)
        assert dbt_record.run_id != cli_run["runId"]  # rebuilt by the sensor's run after the reload
    finally:
        if instance is not None:
            instance.dispose()
        survivors = dev.stop() if dev.process is not None else []
        dev.kill_everything()
    assert survivors == [], f"processes still running after SIGTERM: {survivors}\n{dev.log_tail()}"
