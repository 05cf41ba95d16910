"""`imdb-assets model list|show|history|promote`: the model store from the shell."""

from __future__ import annotations

import argparse
import json

from imdb_assets.cli.arguments import add_command


def _store():
    from imdb_assets.model_store_for_env import model_store_for_env

    return model_store_for_env()


def _summary(record: dict, champion: str | None, latest: str | None) -> dict:
    metrics = record.get("metrics", {})
    return {
        "version": record.get("version"),
        "trained_at": record.get("trained_at"),
        "dataset_version": record.get("dataset_version"),
        "candidate": record.get("params", {}).get("candidate"),
        "roc_auc": metrics.get("roc_auc"),
        "balanced_accuracy": metrics.get("balanced_accuracy"),
        "threshold": record.get("threshold"),
        "champion": record.get("version") == champion,
        "latest": record.get("version") == latest,
    }


def _fmt(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cmd_list(args: argparse.Namespace) -> int:
    from imdb_assets.model.store import ModelArtifactError

    store = _store()
    champion, latest = store.champion_version(), store.latest_trained_version()
    rows = []
    for version in store.versions():
        try:
            rows.append(_summary(store.record(version), champion, latest))
        except ModelArtifactError as exc:  # one broken record must not hide the others
            rows.append(
                {
                    "version": version,
                    "problem": " ".join(str(exc).split()),
                    "champion": version == champion,
                    "latest": version == latest,
                }
            )
    if args.json:
        print(json.dumps({"store": store.location(), "champion": champion, "models": rows}, indent=2))
        return 0
    if not rows:
        print(f"no models in {store.location()} yet: `imdb-assets run` trains one")
        return 0
    print(f"{'version':<32} {'trained at':<20} {'dataset':<10} {'ROC AUC':>8} {'bal.acc':>8} {'thresh':>7}  status")
    for row in rows:
        status = ", ".join(s for s, on in (("champion", row["champion"]), ("latest", row["latest"])) if on)
        if "problem" in row:
            print(f"{row['version']:<32} {row['problem']}")
            continue
        print(
            f"{row['version']:<32} {str(row['trained_at'])[:19]:<20} {str(row['dataset_version'])[:10]:<10} "
            f"{_fmt(row['roc_auc']):>8} {_fmt(row['balanced_accuracy']):>8} {_fmt(row['threshold'], 3):>7}  {status}"
        )
    if champion is None:
        print("no champion: `imdb-assets predict` has no model to answer with")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from imdb_assets.errors import NotReadyError
    from imdb_assets.model.card import code_line
    from imdb_assets.model.training_data import describe as describe_training_data
    from imdb_assets.model.training_data import warning as training_data_warning

    store = _store()
    version = args.version or store.champion_version()
    if version is None:
        raise NotReadyError(f"no champion in {store.location()}: name a version (see `imdb-assets model list`)")
    record = store.record(version)
    decisions = [entry for entry in store.audit_log() if entry.get("version") == record["version"]]
    answer = {
        "champion": record["version"] == store.champion_version(),
        "record": record,
        "files": {
            name: store.file_location(record["version"], name) for name in store.version_files(record["version"])
        },
        "decisions": decisions,
    }
    if args.json:
        print(json.dumps(answer, indent=2, default=str))
        return 0
    metrics, params = record["metrics"], record["params"]
    print(f"model {record['version']}{' (champion)' if answer['champion'] else ''}")
    print(
        f"  trained at {record['trained_at']} on dataset {record['dataset_version']}, {code_line(record['code_version'])}"
    )
    print(f"  {describe_training_data(record)}")
    if warning := training_data_warning(record):
        print(f"  warning: {warning}")
    print(
        f"  chosen {params['candidate']} ({params['candidates_searched']} candidates, selected on validation {params['selection_metric']})"
    )
    print(
        f"  threshold {record['threshold']:.4f} ({params['threshold_objective']} on validation), known genres {len(record['known_genres'])}"
    )
    names = ["model", *record["baselines"]]
    print(f"  {'test split (' + str(metrics['rows']) + ' movies)':<28}" + "".join(f"{n:>13}" for n in names))
    for metric in ("roc_auc", "pr_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate"):
        values = [metrics[metric], *(b[metric] for b in record["baselines"].values())]
        print(f"  {metric:<28}" + "".join(f"{v:>13.4f}" for v in values))
    for entry in decisions:
        print(f"  {entry['at'][:19]} {entry['decision']} by {entry['actor']}: {entry['reason']}")
    for name, location in answer["files"].items():
        print(f"  file {name}: {location}")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    store = _store()
    entries = store.audit_log()
    if args.json:
        print(json.dumps({"champion": store.champion_version(), "decisions": entries}, indent=2, default=str))
        return 0
    if not entries:
        print(f"no champion decisions in {store.location()} yet")
    for entry in entries:
        print(
            f"{entry['at'][:19]} {entry['decision']:<14} {entry['version']} (champion before: {entry['champion_before'] or '-'}) by {entry['actor']}: {entry['reason']}"
        )
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    from imdb_assets.model.store import default_actor

    store = _store()
    version = store.check_version(args.version)
    record = store.record(version)  # a clear error for an unknown version, before anything moves
    previous = store.champion_version()
    if previous == version:
        print(f"model {version} is already the champion; nothing changed")
        return 0
    reason = f"manual promotion{': ' + args.reason if args.reason else ''} (promotion rules not applied)"
    metrics = record.get("metrics")
    entry = store.set_champion(
        version,
        reason,
        actor=f"cli:{default_actor()}",
        details={"roc_auc_on_its_own_test_split": metrics.get("roc_auc") if isinstance(metrics, dict) else None},
    )
    if args.json:
        print(json.dumps(entry, indent=2, default=str))
    else:
        print(f"champion is now {version} (was {previous or 'none'}); logged in {store.location('audit')}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    model = add_command(
        commands,
        "model",
        help="list, inspect and promote stored models",
        description="""
        The model store from the shell: every trained version with its metrics, one version in detail,
        the audit log of champion decisions, and promoting a version by hand. The store is
        $IMDB_ASSETS_HOME/models locally, IMDB_ASSETS_MODEL_STORE_URL with IMDB_ASSETS_ENV=prod.
        """,
        examples=["imdb-assets model list", "imdb-assets model show", "imdb-assets model history --json"],
    )
    actions = model.add_subparsers(dest="model_command", required=True)

    listing = add_command(
        actions,
        "list",
        help="every stored model version, the champion marked",
        description="""
        Every stored model version, oldest first: when it was trained, on which dataset version, its
        held-out ROC AUC and balanced accuracy, its decision threshold, and which one is the champion
        (the one `imdb-assets predict` and `imdb-assets serve` answer with) and the latest.
        """,
        examples=["imdb-assets model list", "imdb-assets model list --json"],
    )
    listing.add_argument("--json", action="store_true", help="print one JSON object: the store, the champion, the models")
    listing.set_defaults(handler=_cmd_list)

    show = add_command(
        actions,
        "show",
        help="one version's record, metrics beside baselines, files and decisions",
        description="""
        One model version in detail: when and on what it was trained, the chosen candidate and
        threshold, its test metrics beside the baselines', the champion decisions about it and the
        files stored with it (plots, model card).
        """,
        examples=["imdb-assets model show", "imdb-assets model show 20261101T120000-1a2b3c4d --json"],
    )
    show.add_argument("version", nargs="?", help="the version to show (default: the champion)")
    show.add_argument("--json", action="store_true", help="print one JSON object: the record, files and decisions")
    show.set_defaults(handler=_cmd_show)

    history = add_command(
        actions,
        "history",
        help="the audit log of champion decisions",
        description="""
        The audit log, oldest first: every promotion, every challenger that did not beat the champion
        and every manual promotion, with who decided it and why.
        """,
        examples=["imdb-assets model history", "imdb-assets model history --json"],
    )
    history.add_argument("--json", action="store_true", help="print one JSON object: the champion and the decisions")
    history.set_defaults(handler=_cmd_history)

    promote = add_command(
        actions,
        "promote",
        help="make VERSION the champion by hand (skips the promotion rules; logged)",
        description="""
        Make a stored version the champion by hand, e.g. to roll back. The promotion rules are not
        applied; the decision goes to the audit log with your user name and the reason. A running
        `imdb-assets serve` picks the new champion up within its poll interval.
        """,
        examples=['imdb-assets model promote 20261101T120000-1a2b3c4d --reason "roll back: new model overfits"'],
    )
    promote.add_argument("version", help="the version to promote (see `imdb-assets model list`)")
    promote.add_argument("--reason", default="", help="why, for the audit log")
    promote.add_argument("--json", action="store_true", help="print the audit log entry as JSON")
    promote.set_defaults(handler=_cmd_promote)
