"""The page at `/`: a plain HTML form a person can use, answered by the server (no JavaScript at all).

GET shows the form with the champion's known genres as check boxes; the form POSTs back to `/`,
which renders the same page with the answer. Everything shown is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs

from pydantic import ValidationError

from imdb_assets.model.training_data import describe as describe_training_data
from imdb_assets.model.training_data import warning as training_data_warning
from imdb_assets.serving.batch_predictor import ServingModel
from imdb_assets.serving.genre_suggestions import with_suggestions
from imdb_assets.serving.predictor import Prediction
from imdb_assets.serving.request_parsing import InputError, decode_utf8, validation_error_to_input_error
from imdb_assets.serving.schemas import MAX_GENRES, MAX_TITLE_CHARS, PredictItem

MAX_FORM_FIELDS = MAX_GENRES + 5

_STYLE = """
:root { --ink: #1d2330; --muted: #5d6677; --line: #d9dee7; --accent: #2f5bd3; --yes: #1d7a46; --no: #a23a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f4f6fa; }
main { max-width: 46rem; margin: 2.5rem auto; padding: 0 1rem; }
h1 { margin: 0 0 .25rem; font-size: 1.7rem; }
.lead { margin: 0 0 1.5rem; color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
label.title { display: block; font-weight: 600; margin-bottom: .35rem; }
input[type=text] { width: 100%; font: inherit; padding: .55rem .7rem; border: 1px solid var(--line); border-radius: 6px; }
input[type=text]:focus { outline: 2px solid var(--accent); border-color: transparent; }
fieldset { border: 0; padding: 0; margin: 1.1rem 0; }
legend { font-weight: 600; margin-bottom: .4rem; }
.genres { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: .2rem .75rem; }
.genres label { display: flex; align-items: center; gap: .4rem; cursor: pointer; }
button { font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 6px; padding: .6rem 1.3rem; cursor: pointer; }
button:disabled { background: #9aa6c2; cursor: not-allowed; }
.verdict { font-size: 1.35rem; font-weight: 700; margin: 0 0 .4rem; }
.verdict.yes { color: var(--yes); } .verdict.no { color: var(--no); }
meter { width: 100%; height: 1.1rem; }
.facts { color: var(--muted); margin: .4rem 0 0; font-size: .93rem; }
.problem { border-color: #e4b4ab; background: #fff6f4; color: var(--no); }
footer { color: var(--muted); font-size: .85rem; }
footer a { color: var(--accent); }
"""


@dataclass
class PageState:
    """What the page shows: the form as the person left it, and an answer or a problem."""

    title: str = ""
    genres: list[str] = field(default_factory=list)
    prediction: Prediction | None = None
    problem: str = ""


def parse_form(body: bytes) -> PageState:
    """The submitted form (application/x-www-form-urlencoded) with `problem` set when a field is wrong.

    Raises InputError only when the body itself cannot be read as a form.
    """
    text = decode_utf8(body, "form")
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise InputError("body", "form: a field is not valid UTF-8 once percent-decoded") from None
    except ValueError:  # more fields than any form of ours has
        raise InputError("body", f"form: more than {MAX_FORM_FIELDS} fields") from None
    title = (fields.get("title") or [""])[0]
    genres = fields.get("genres", [])
    state = PageState(title=title[:MAX_TITLE_CHARS], genres=genres)
    try:  # the same rules as the JSON API
        PredictItem.model_validate({"title": title, "genres": genres})
    except ValidationError as exc:
        state.problem = validation_error_to_input_error(exc).detail
    return state


def _answer_html(prediction: Prediction) -> str:
    verdict = "Yes: you will probably enjoy it" if prediction.label else "Probably not your thing"
    unknown = (
        f'<p class="facts">Ignored genres the model never saw: {escape(with_suggestions(prediction.suggestions))}</p>'
        if prediction.unknown_genres
        else ""
    )
    return (
        '<section class="card" id="answer" aria-live="polite">'
        f'<p class="verdict {"yes" if prediction.label else "no"}" id="verdict" data-label="{prediction.label}">{verdict}</p>'
        f'<meter min="0" max="1" low="{prediction.threshold:.4f}" optimum="1" value="{prediction.probability:.4f}"></meter>'
        f'<p class="facts">Chance you enjoy it: <strong id="probability">{prediction.probability:.1%}</strong>'
        f" &middot; the model says yes from {prediction.threshold:.1%} &middot; model {escape(prediction.model_version)}</p>"
        f"{unknown}</section>"
    )


def render_page(model: ServingModel | None, state: PageState, not_ready_reason: str = "") -> str:
    chosen = set(state.genres)
    genre_choices = model.known_genres if model else ()
    boxes = "".join(
        f'<label><input type="checkbox" name="genres" value="{escape(g)}"{" checked" if g in chosen else ""}> {escape(g)}</label>'
        for g in genre_choices
    )
    disabled = "" if model else " disabled"
    if state.problem:
        outcome = f'<section class="card problem" id="problem" role="alert">{escape(state.problem)}</section>'
    elif model is None:
        outcome = f'<section class="card problem" id="problem" role="alert">Not ready: {escape(not_ready_reason)}</section>'
    elif state.prediction is not None:
        outcome = _answer_html(state.prediction)
    else:
        outcome = ""
    if model:
        roc_auc = model.record.get("metrics", {}).get("roc_auc")
        quality = f" &middot; held-out ROC AUC {roc_auc:.3f}" if isinstance(roc_auc, float) else ""
        about = (
            f"Champion model {escape(model.version)}, trained {escape(str(model.record.get('trained_at', '?'))[:19])}"
            f"{quality}, {escape(describe_training_data(model.record))}."
        )
        if warning := training_data_warning(model.record):
            outcome = f'<section class="card problem" id="synthetic" role="note">{escape(warning[0].upper() + warning[1:])}.</section>' + outcome
    else:
        about = "No champion model loaded yet."
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Will you enjoy it? &middot; imdb_assets</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>Will you enjoy it?</h1>
<p class="lead">Type a movie title and tick its genres: the champion model, trained on IMDb ratings, answers.</p>
<form class="card" method="post" action="/">
<label class="title" for="title">Title</label>
<input type="text" id="title" name="title" maxlength="{MAX_TITLE_CHARS}" required value="{escape(state.title)}" placeholder="e.g. The Matrix"{disabled}>
<fieldset{disabled}><legend>Genres</legend><div class="genres">{boxes}</div></fieldset>
<button type="submit" id="submit"{disabled}>Will I enjoy it?</button>
</form>
{outcome}
<footer><p>{about} API: <a href="/docs">/docs</a> &middot; <a href="/model">/model</a> &middot; <a href="/health">/health</a></p></footer>
</main>
</body>
</html>
"""
