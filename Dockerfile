# The code location image: `dagster api grpc` serves imdb_assets.definitions to the webserver and the
# daemon, and every run pod that K8sRunLauncher starts runs this same image (`dagster api execute_run`).
# No credentials inside: Google clients use the pod's Workload Identity, Postgres's password comes
# from a Kubernetes Secret at run time.
#
#   docker build -t REGION-docker.pkg.dev/PROJECT/imdb/imdb-assets:$(git rev-parse --short HEAD) .
#
# Pinned base (exact Python and Debian release). CI should add the registry digest (@sha256:...) when
# it pushes; this machine cannot reach a container registry to look it up.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app

# dbt with the BigQuery adapter in its own venv: dbt-bigquery pins google-cloud-storage<3.2, which the
# project's GCS stack (gcsfs for DVC) cannot use. Dagster calls it as a subprocess.
COPY deploy/requirements-dbt-bigquery.txt deploy/
RUN python -m venv /opt/dbt \
    && /opt/dbt/bin/pip install --no-cache-dir --requirement deploy/requirements-dbt-bigquery.txt

# The project, installed in place (its dbt project is found next to the package).
COPY setup.py pyproject.toml ./
COPY imdb_assets ./imdb_assets
COPY dbt_project ./dbt_project
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --editable ".[prod]"

# The dbt manifest, prepared now so the code server never parses at start-up. `dbt parse` needs the
# profile's variables but never connects: the values below exist only for this step.
RUN IMDB_ASSETS_DBT_TARGET=prod IMDB_ASSETS_GCP_PROJECT=manifest-build IMDB_ASSETS_BQ_DATASET=imdb \
    IMDB_ASSETS_BQ_LOCATION=US \
    /opt/dbt/bin/dbt parse --project-dir dbt_project --profiles-dir dbt_project --target prod \
    && test -s dbt_project/target/manifest.json \
    && rm -rf dbt_project/logs

FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /opt/dagster/dagster_home \
    && chown app:app /opt/dagster/dagster_home
COPY --from=build /opt/dbt /opt/dbt
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=app:app /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    IMDB_ASSETS_ENV=prod \
    IMDB_ASSETS_DBT_EXECUTABLE=/opt/dbt/bin/dbt \
    IMDB_ASSETS_HOME=/tmp/imdb_assets \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DVC_NO_ANALYTICS=1
WORKDIR /app
USER 10001:10001
EXPOSE 3030
# CMD, not ENTRYPOINT: Kubernetes replaces CMD with its own `args` (the chart's `dagster api grpc ...`,
# the run launcher's `dagster api execute_run ...`); an ENTRYPOINT would be prefixed to both.
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "3030", "--module-name", "imdb_assets.definitions", "--working-directory", "/app"]
