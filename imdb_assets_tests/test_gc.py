"""`imdb-assets gc`: exactly the unreferenced dataset versions and models go, every kept one stays
restorable byte for byte, and a rerun frees nothing."""

import json
import os
import time
from pathlib import Path

import pytest

from imdb_assets.automation.garbage import prune_dbt_invocations
from imdb_assets.cli import main
from imdb_assets.files import file_digest
from imdb_assets.model.store import LocalModelStore
from imdb_assets.settings import LocalPaths
from imdb_assets.synth.generator import write_next_day, write_snapshot

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]


def cli_json(capsys, *args: str):
    capsys.readouterr()
    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow  # five whole runs (~20 s each on 2 cores)
def test_gc_removes_exactly_the_unreferenced_versions_and_keeps_the_rest_restorable(imdb_home: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("IMDB_ASSETS_DATASET_VERSIONS_KEPT", "2")
    monkeypatch.setenv("IMDB_ASSETS_CHALLENGERS_KEPT", "1")
    folders = [tmp_path / DAYS[0]]
    write_snapshot(folders[0], titles=60_000, seed=5)
    for day in DAYS[1:]:
        folders.append(tmp_path / day)
        write_next_day(folders[-2], folders[-1], change_rate=0.3, seed=len(folders))
    for folder, day in zip(folders, DAYS):
        assert main(["run", "--source", str(folder), "--snapshot-date", day]) == 0

    paths = LocalPaths(imdb_home)
    store = LocalModelStore(paths.models_dir)
    models = store.versions()
    versions = cli_json(capsys, "dataset", "list")
    assert len(versions) == 5 and len(models) >= 3 and all(v["kept"] for v in versions)
    # What must stay, read independently of gc: the champions ever promoted, latest, the newest other one.
    champions = {e["version"] for e in store.audit_log() if e["decision"] == "promoted"}
    others = [v for v in reversed(models) if v not in champions and v != store.latest_trained_version()]
    kept_models = champions | {store.latest_trained_version()} | set(others[:1])
    kept_datasets = {store.record(v)["dataset_version"] for v in kept_models} | {v["md5"] for v in versions[-2:]}

    planned = cli_json(capsys, "gc", "--dry-run")
    assert {m["version"] for m in planned["models_deleted"]} == set(models) - kept_models
    assert {d["md5"] for d in planned["datasets_collected"]} == {v["md5"] for v in versions} - kept_datasets
    assert store.versions() == models  # a dry run changes nothing

    done = cli_json(capsys, "gc")
    assert done["models_deleted"] == planned["models_deleted"]
    assert [{**d, "collected_at": ""} for d in done["datasets_collected"]] == planned["datasets_collected"]
    collected = {d["md5"] for d in done["datasets_collected"]}
    assert collected and done["bytes_freed"] > 0
    assert set(store.versions()) == kept_models
    assert not any((paths.models_dir / v).exists() for v in set(models) - kept_models)
    for version in kept_models:
        assert store.load(version).version == version

    listed = cli_json(capsys, "dataset", "list")
    assert {v["md5"] for v in listed if not v["kept"]} == collected
    for version in listed:
        cache = paths.data_dir / ".dvc" / "cache" / "files" / "md5" / version["md5"][:2] / version["md5"][2:]
        remote = paths.dvc_remote / "files" / "md5" / version["md5"][:2] / version["md5"][2:]
        assert cache.exists() == remote.exists() == version["kept"]
        lake_csv = Path(version["lake"]["csv"].removeprefix("file://"))
        assert lake_csv.exists()  # the lake is the archive: never collected
        out = tmp_path / f"{version['md5']}.csv"
        if version["kept"]:
            restored = cli_json(capsys, "dataset", "checkout", version["md5"], "--out", str(out))
            assert restored["md5"] == version["md5"] == file_digest(out)
            assert out.read_bytes() == lake_csv.read_bytes()
        else:
            capsys.readouterr()
            assert main(["dataset", "checkout", version["md5"], "--out", str(out)]) == 1
            err = capsys.readouterr().err.strip()
            assert "was collected by `imdb-assets gc`" in err and len(err.splitlines()) == 1

    again = cli_json(capsys, "gc")
    assert again["datasets_collected"] == [] and again["models_deleted"] == [] and again["bytes_freed"] == 0
    # The pipeline still runs on the collected home (published version and champion intact).
    assert main(["run", "--source", str(folders[-1]), "--snapshot-date", DAYS[-1]]) == 0


def test_gc_is_refused_while_a_run_holds_the_home(imdb_home: Path, capsys):
    from imdb_assets.home_lock import home_lock

    with home_lock(imdb_home, "run"):
        assert main(["gc"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("imdb-assets gc: error: imdb-assets run (pid ") and len(err.splitlines()) == 1


def test_dbt_invocation_folders_are_bounded(tmp_path: Path):
    target = tmp_path / "target"
    (target / "partial_parse").mkdir(parents=True)
    old = time.time() - 7200
    names = [f"imdb_dbt_models-{i:07x}-abcdef{i % 10}" for i in range(9)]
    for i, name in enumerate(names):
        (target / name).mkdir()
        (target / name / "manifest.json").write_text("{}" * 100)
        os.utime(target / name, (old + i, old + i))
    (target / "imdb_dbt_models-fffffff-0000000").mkdir()  # fresh: a dbt may still be running in it
    removed, freed = prune_dbt_invocations(target, keep=5)
    assert sorted(removed) == sorted(names[:5]) and freed == 5 * 200
    assert sorted(p.name for p in target.iterdir()) == sorted([*names[5:], "imdb_dbt_models-fffffff-0000000", "partial_parse"])


def test_the_garbage_collection_job_runs_in_dagster_and_skips_while_another_run_is_in_progress(imdb_home: Path):
    from datetime import datetime, timezone

    from dagster import DagsterRunStatus, build_schedule_context, instance_for_test

    from imdb_assets.automation.garbage_job import daily_garbage_collection
    from imdb_assets.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def("garbage_collection_job")
    with instance_for_test() as instance:
        result = job.execute_in_process(instance=instance)
        assert result.success
        report = result.output_for_node("collect_garbage_op")
        # An empty home: nothing of its own to collect (dbt's old invocation folders may go).
        assert report["dataset_bytes_freed"] == report["model_bytes_freed"] == 0
        assert report["dry_run"] is False and report["datasets_kept"] == {} and report["models_kept"] == {}

        assert daily_garbage_collection(build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 2, 7, 30, tzinfo=timezone.utc))).run_key == "gc-2026-12-02"
        instance.create_run_for_job(job, status=DagsterRunStatus.STARTED)  # another run in progress
        skip = daily_garbage_collection(build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 2, 7, 30, tzinfo=timezone.utc)))
        assert "a run is in progress" in skip.skip_message
