"""Render what production Kubernetes would run for this code location, without a cluster.

`render_run_job` builds the exact Job manifest that dagster-k8s's `K8sRunLauncher` creates for a run:
the launcher is configured from deploy/dagster.yaml, the code location's container context is the one
the official Helm chart derives from deploy/helm/values.yaml (includeConfigInLaunchedRuns), and the
run's own tags (`dagster-k8s/config`) come last — the same three layers, merged by dagster-k8s itself
(`K8sContainerContext.create_for_run`) and turned into a Job by its `construct_dagster_k8s_job`.
The only stand-in is the kubeconfig: a file naming an API server that is never contacted.

    python -m deploy.render --image REPO/imdb-assets:TAG > job.yaml   # from the repository root
    python deploy/render.py --image REPO/imdb-assets:TAG > job.yaml

It lives in deploy/, outside the imdb_assets package, because it is a tool for whoever deploys, not
code the image runs: the Docker image copies only imdb_assets/ (and one requirements file from here),
and deploy/ has no __init__.py so the package's install never picks it up. It imports nothing from
imdb_assets, only the deployment files beside it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import construct_dagster_k8s_job, get_job_name_from_run_id
from kubernetes.client import ApiClient

# Dagster's private modules, imported here and nowhere else (test_private_dagster_apis.py says which one
# an upgrade removed). None has a public equivalent for what this renders:
from dagster._cli.api import ExecuteRunArgs  # the exact `dagster api execute_run` arguments a run pod gets
from dagster._config import process_config  # schema check with dagster's own errors (unknown keys included)
from dagster._core.code_pointer import ModuleCodePointer  # the code server's pointer, as it reports it
from dagster._core.instance.ref import InstanceRef  # the instance a run pod loads from the mounted dagster.yaml
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin  # where the launcher finds the image
from dagster._core.storage.dagster_run import DagsterRun  # a run record, without an instance to create it in

DEPLOY_DIR = Path(__file__).resolve().parent
INSTANCE_YAML = DEPLOY_DIR / "dagster.yaml"
HELM_VALUES = DEPLOY_DIR / "helm" / "values.yaml"
CODE_LOCATION_MODULE = "imdb_assets.definitions"
IMAGE_WORKDIR = "/app"  # the Dockerfile's WORKDIR
IMAGE_PYTHON = "/opt/venv/bin/python"  # the Dockerfile's venv

_DUMMY_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: none, user: {token: not-a-token}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


class DeployConfigError(ValueError):
    """A deployment file does not match the schema of what reads it."""


def load_yaml(path: Path) -> dict:
    with Path(path).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def run_launcher_config(instance: Mapping[str, Any]) -> dict:
    launcher = instance.get("run_launcher") or {}
    if (launcher.get("module"), launcher.get("class")) != ("dagster_k8s", "K8sRunLauncher"):
        raise DeployConfigError(f"run_launcher is {launcher.get('module')}.{launcher.get('class')}, not dagster_k8s.K8sRunLauncher")
    return dict(launcher.get("config") or {})


def validate_run_launcher_config(config: Mapping[str, Any], source: str = str(INSTANCE_YAML)) -> dict:
    """Check the config against dagster-k8s's own schema (unknown keys are errors); return it with defaults."""
    return validate_config(K8sRunLauncher.config_type(), config, f"{source}: run_launcher.config")


def validate_config(config_type: Any, config: Mapping[str, Any], where: str) -> dict:
    """`config` checked against a configurable class's `config_type()`; returned with its defaults."""
    result = process_config(config_type, dict(config))
    if not result.success:
        messages = "; ".join(error.message for error in result.errors or [])
        raise DeployConfigError(f"{where}: {messages}")
    return dict(result.value)


def chart_container_context(values: Mapping[str, Any], release: str = "dagster", namespace: str = "dagster", deployment: str = "imdb-assets") -> dict:
    """The container context the Helm chart hands a code server when includeConfigInLaunchedRuns is on.

    Mirrors the chart's `dagsterUserDeployments.k8sContainerContext` template (dagster chart 1.13.x);
    the chart itself cannot be rendered here (no helm binary), so this is the one hand-written step."""
    user_deployments = values.get("dagster-user-deployments") or {}
    found = [d for d in user_deployments.get("deployments", []) if d.get("name") == deployment]
    if not found:
        raise DeployConfigError(f"{HELM_VALUES}: no user deployment named {deployment!r}")
    spec = found[0]
    if not (spec.get("includeConfigInLaunchedRuns") or {"enabled": True}).get("enabled", True):
        return {}
    fullname = release if "dagster" in release else f"{release}-dagster"
    global_values = values.get("global") or {}
    service_account = (
        global_values.get("serviceAccountName")
        or (user_deployments.get("serviceAccount") or {}).get("name")
        or f"{fullname}-user-deployments"
    )
    k8s: dict[str, Any] = {
        "image_pull_policy": spec["image"].get("pullPolicy"),
        "env_config_maps": [f"{fullname}-{deployment}-user-env"] + [m["name"] for m in spec.get("envConfigMaps", []) if "name" in m],
        "namespace": namespace,
        "service_account_name": service_account,
    }
    if values.get("imagePullSecrets"):
        k8s["image_pull_secrets"] = values["imagePullSecrets"]
    if spec.get("envSecrets"):
        k8s["env_secrets"] = [s["name"] for s in spec["envSecrets"] if "name" in s]
    for chart_key, context_key in (("volumeMounts", "volume_mounts"), ("volumes", "volumes"), ("labels", "labels"), ("resources", "resources"), ("schedulerName", "scheduler_name")):
        if spec.get(chart_key):
            k8s[context_key] = spec[chart_key]
    if isinstance(spec.get("env"), list) and spec["env"]:
        k8s["env"] = spec["env"]
    return {"k8s": k8s}


def _launcher(config: Mapping[str, Any], kubeconfig: Path) -> K8sRunLauncher:
    # Outside a cluster: the same config, but the API server comes from a kubeconfig never contacted.
    return K8sRunLauncher(**{**config, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)})


def render_run_job(
    *,
    image: str,
    job_name: str = "__ASSET_JOB",
    run_tags: Mapping[str, str] | None = None,
    run_id: str | None = None,
    instance_yaml: Path = INSTANCE_YAML,
    helm_values: Path = HELM_VALUES,
) -> dict:
    """The Job manifest (a plain dict, as sent to the API server) for one run of this code location.

    The instance's `{env: ...}` settings (Postgres host, ...) must be resolvable in this process, as
    they are in the daemon that launches runs; their values are not written into the Job."""
    config = validate_run_launcher_config(run_launcher_config(load_yaml(instance_yaml)), str(instance_yaml))
    run_id = run_id or str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="imdb-render-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        kubeconfig.write_text(_DUMMY_KUBECONFIG)
        launcher = _launcher(config, kubeconfig)
        # What the code server reports as its origin: its Python, module, image and container context.
        repository_origin = RepositoryPythonOrigin(
            executable_path=IMAGE_PYTHON,
            code_pointer=ModuleCodePointer(CODE_LOCATION_MODULE, "defs", IMAGE_WORKDIR),
            container_image=image,
            entry_point=["dagster"],
            container_context=chart_container_context(load_yaml(helm_values)),
        )
        job_origin = JobPythonOrigin(job_name, repository_origin)
        run = DagsterRun(job_name=job_name, run_id=run_id, tags=dict(run_tags or {}), job_code_origin=job_origin)
        # The instance as run pods see it: deploy/dagster.yaml mounted at the launcher's dagster_home.
        instance_ref = InstanceRef.from_dir(config["dagster_home"], config_dir=str(Path(instance_yaml).parent), config_filename=Path(instance_yaml).name)
        args = ExecuteRunArgs(
            job_origin=job_origin,
            run_id=run_id,
            instance_ref=instance_ref,
            set_exit_code_on_failure=config.get("fail_pod_on_run_failure"),
        ).get_command_args()

        # What K8sRunLauncher._launch_k8s_job_with_args does, minus the API call.
        container_context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=True)
        k8s_job_name = get_job_name_from_run_id(run_id)
        job = construct_dagster_k8s_job(
            job_config=container_context.get_k8s_job_config(job_image=repository_origin.container_image, run_launcher=launcher),
            args=args,
            job_name=k8s_job_name,
            pod_name=k8s_job_name,
            component="run_worker",
            user_defined_k8s_config=container_context.run_k8s_config,
            labels={"dagster/job": job_name, "dagster/run-id": run_id},
            env_vars=[{"name": "DAGSTER_RUN_JOB_NAME", "value": job_name}],
        )
        manifest = ApiClient().sanitize_for_serialization(job)
    manifest.setdefault("apiVersion", "batch/v1")
    manifest.setdefault("kind", "Job")
    manifest["metadata"].setdefault("namespace", container_context.namespace)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="the code location's image, e.g. REPO/imdb-assets:TAG")
    parser.add_argument("--job", default="__ASSET_JOB")
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a run tag (repeatable)")
    args = parser.parse_args(argv)
    tags = dict(t.split("=", 1) for t in args.tag)
    yaml.safe_dump(render_run_job(image=args.image, job_name=args.job, run_tags=tags), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
