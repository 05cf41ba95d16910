"""`imdb-assets model list|show|history|promote`: the model store from the shell."""

from __future__ import annotations

import argparse
import json


def _store():
    from imdb_assets.model.store_for_env import model_store_for_env

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
    entry = store.set_champion(
        version,
        reason,
        actor=f"cli:{default_actor()}",
        details={"roc_auc_on_its_own_test_split": record["metrics"].get("roc_auc")},
    )
    if args.json:
        print(json.dumps(entry, indent=2, default=str))
    else:
        print(f"champion is now {version} (was {previous or 'none'}); logged in {store.location('audit')}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser("model", help="list, inspect and promote stored models")
    actions = model.add_subparsers(dest="model_command", required=True)

    listing = actions.add_parser("list", help="every stored model version, the champion marked")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_cmd_list)

    show = actions.add_parser("show", help="one version's record, metrics beside baselines, files and decisions")
    show.add_argument("version", nargs="?", help="default: the champion")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_cmd_show)

    history = actions.add_parser("history", help="the audit log of champion decisions")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=_cmd_history)

    promote = actions.add_parser(
        "promote", help="make VERSION the champion by hand (skips the promotion rules; logged)"
    )
    promote.add_argument("version")
    promote.add_argument("--reason", default="", help="why, for the audit log")
    promote.add_argument("--json", action="store_true")
    promote.set_defaults(handler=_cmd_promote)
