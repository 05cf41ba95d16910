"""The trained model: fitted on the train split, evaluated on the held-out split, stored with its lineage."""


import pandas as pd
from dagster import AssetExecutionContext, Config, DataVersion, MaterializeResult, MetadataValue, asset

from imdb_assets.model.train import train_and_evaluate
from imdb_assets.resources.dataset_repository import DatasetVersion
from imdb_assets.resources.model_store import ModelStoreResource

REPORTED_METRICS = ("roc_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate")


class TrainingConfig(Config):
    C: float = 1.0
    seed: int = 0
    threshold: float = 0.5


@asset(group_name="model", kinds={"scikitlearn"})
def enjoyment_model(
    context: AssetExecutionContext,
    config: TrainingConfig,
    movie_features: pd.DataFrame,
    movies_dataset: DatasetVersion,
    model_store: ModelStoreResource,
) -> MaterializeResult:
    """TF-IDF title features + multi-hot genres into a class-balanced logistic regression, evaluated on
    the held-out split and saved to the model store with the dataset version it was trained on."""
    trained = train_and_evaluate(movie_features, C=config.C, seed=config.seed, threshold=config.threshold)
    version = model_store.store().save(
        trained.pipeline,
        {
            "dataset_version": movies_dataset.md5,
            "metrics": trained.metrics,
            "params": trained.params,
            "threshold": trained.threshold,
            "known_genres": trained.known_genres,
        },
    )
    context.log.info(f"model {version}: ROC AUC {trained.metrics['roc_auc']:.3f} on {trained.metrics['rows']} test rows")
    matrix = trained.metrics["confusion_matrix"]
    return MaterializeResult(
        data_version=DataVersion(version),
        metadata={
            "model_version": version,
            "dataset_version": movies_dataset.md5,
            **{name: float(trained.metrics[name]) for name in REPORTED_METRICS},
            "test_rows": trained.metrics["rows"],
            "train_rows": trained.metrics["train_rows"],
            "confusion_matrix": MetadataValue.md(
                "| | predicted 0 | predicted 1 |\n|---|---|---|\n"
                f"| actual 0 | {matrix['tn']} | {matrix['fp']} |\n| actual 1 | {matrix['fn']} | {matrix['tp']} |"
            ),
            "params": trained.params,
        },
    )
