"""The HTTP face of the champion model: JSON API, OpenAPI docs and a page (FastAPI, no Dagster).

`create_app(model_store)` builds the app; `imdb-assets serve` runs it under uvicorn. The champion is
held by a `ChampionHolder` that swaps in newly promoted models while the server runs.

Whatever a request holds, the answer is a 4xx with a one-line JSON error, never a 500: bodies are read
up to `max_body_bytes` (413 past it, without buffering the rest) and parsed by request_parsing.py.
Answers never show filesystem paths; the server log has them.
"""

from __future__ import annotations

import math
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imdb_assets.errors import one_line
from imdb_assets.model.store import LocalModelStore, ModelStore
from imdb_assets.model.training_data import describe as describe_training_data
from imdb_assets.model.training_data import public_training_data
from imdb_assets.model.training_data import warning as training_data_warning
from imdb_assets.serving.batch_predictor import ServingModel, answer_batch, predict_batch
from imdb_assets.serving.docs import add_offline_docs
from imdb_assets.serving.model_holder import ChampionHolder
from imdb_assets.serving.page import PageState, parse_form, render_page
from imdb_assets.serving.prediction_log import LoggedItem, LoggedRequest, PredictionLog, new_request_id
from imdb_assets.serving.predictor import InvalidInputError
from imdb_assets.serving.request_parsing import InputError, body_error, parse_predict_body
from imdb_assets.serving.schemas import ErrorOut, HealthOut, ModelOut, PredictionOut, PredictItem

DEFAULT_MAX_BATCH = 1000
DEFAULT_POLL_SECONDS = 2.0
# 1,000 real movies are ~60 KB and 1,000 of the largest items the schema takes (500-character title, 30
# genres of 50, ASCII) 2.1 MB: 4 MiB admits any full batch of plain text, and bounds one request's memory.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_FIELD_CHARACTERS = 80


class NoChampionError(RuntimeError):
    """No model to answer with yet (HTTP 503)."""


def _json(content: Any, status_code: int = 200) -> Response:
    # Built by hand with orjson: FastAPI's response_model path re-validates every item and the standard
    # json module is ~10x slower, together a third of a 1,000-row batch's time. orjson also writes
    # NaN (e.g. ROC AUC of a one-class test split) as null, where json would write invalid JSON.
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


class HeadAsGet:
    """HEAD answered as GET without the body: the same status and headers (FastAPI routes declare GET only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps its own scope, so it still knows the request was a HEAD.
        await self.app({**scope, "method": "GET"}, receive, send_without_body)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it grows past `limit` bytes (never buffered whole)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_error(f"is larger than {limit} bytes", too_large=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _predict_request_schema(max_batch: int) -> dict:
    item = PredictItem.model_json_schema()
    batch = {"type": "array", "items": item, "minItems": 1, "maxItems": max_batch, "title": "PredictBatch"}
    return {
        "required": True,
        "description": f"one movie, or a list of 1 to {max_batch} movies (answered in the same order)",
        "content": {"application/json": {"schema": {"anyOf": [item, batch]}}},
    }


def create_app(
    model_store: ModelStore | Path | str,
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    prediction_log: PredictionLog | None = None,
) -> FastAPI:
    """The serving app for the champion of `model_store` (a store, or a local store's folder), reloading it
    when a new one is promoted. With `prediction_log`, every answer is recorded there (written by its own
    thread, started and flushed by the app's lifespan)."""
    store = model_store if isinstance(model_store, ModelStore) else LocalModelStore(model_store)
    holder = ChampionHolder(store, poll_seconds=poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder.refresh()  # before the first request, so a ready store means a ready server
        holder.start_polling()
        if prediction_log is not None:
            prediction_log.start()
        try:
            yield
        finally:
            holder.stop_polling()
            if prediction_log is not None:
                prediction_log.close()  # a clean stop writes every answered prediction

    app = FastAPI(
        title="imdb_assets: will the viewer enjoy it?",
        version="1",
        description="Answers from the champion model in the model store; a newly promoted champion is picked up without a restart.",
        lifespan=lifespan,
        docs_url=None,  # served by add_offline_docs below
        redoc_url=None,
    )
    app.state.holder = holder
    app.state.prediction_log = prediction_log

    def log_answers(model: ServingModel, items, answers: list[dict]) -> str:
        request_id = new_request_id()
        if prediction_log is not None:
            prediction_log.record(LoggedRequest(time.time(), request_id, model.version, model.threshold, items, answers))
        return request_id
    app.add_middleware(HeadAsGet)
    add_offline_docs(app)

    def champion() -> ServingModel:
        model = holder.current  # read once: this request finishes on this model even if a swap happens
        if model is None:
            raise NoChampionError(f"no model to answer with: {holder.status().detail}")
        return model

    @app.exception_handler(InputError)
    async def refuse_input(request: Request, exc: InputError) -> Response:
        field = one_line(exc.field, MAX_FIELD_CHARACTERS)
        return _json({"detail": one_line(exc.detail), "field": field}, status_code=413 if exc.too_large else 422)

    @app.exception_handler(NoChampionError)
    async def not_ready(request: Request, exc: NoChampionError) -> Response:
        response = _json({"detail": str(exc), "field": None}, status_code=503)
        response.headers["Retry-After"] = str(max(1, math.ceil(poll_seconds)))
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A one-line JSON answer for the caller; Starlette still re-raises, so uvicorn logs the traceback.
        return _json({"detail": f"internal error ({type(exc).__name__}); the server keeps running", "field": None}, status_code=500)

    error_responses: dict = {
        422: {"model": ErrorOut, "description": "the request is wrong; `field` names where"},
        503: {"model": ErrorOut, "description": "no champion model loaded yet"},
    }

    # async def on purpose: scoring is CPU-bound and holds the GIL, so a thread-pool hop would only add latency.
    @app.post(
        "/predict",
        summary="Will the viewer enjoy these movies?",
        response_model=None,
        responses={
            200: {"model": PredictionOut | list[PredictionOut], "description": "one answer, or a list in the order asked"},
            413: {"model": ErrorOut, "description": f"body larger than {max_body_bytes} bytes"},
            **error_responses,
        },
        openapi_extra={"requestBody": _predict_request_schema(max_batch)},
    )
    async def predict(request: Request) -> Response:
        model = champion()
        items, is_batch = parse_predict_body(await _read_body(request, max_body_bytes), max_batch)
        try:
            answers = answer_batch(model, [(item.title, item.genres) for item in items])
        except InvalidInputError as exc:  # the schema already refuses these; kept as a second net
            raise InputError("title", str(exc)) from None
        request_id = log_answers(model, items, answers)
        response = _json(answers if is_batch else answers[0])
        response.headers["X-Request-ID"] = request_id
        return response

    @app.get(
        "/health",
        summary="Ready once a champion model is loaded",
        response_model=HealthOut,
        responses={503: {"model": HealthOut, "description": "no champion model loaded yet"}},
    )
    async def health() -> Response:
        status = holder.status()
        body = {"status": "ready" if status.ready else "not ready", "model_version": status.model_version, "detail": status.detail}
        body["prediction_log"] = prediction_log.counters() if prediction_log is not None else None
        return _json(body, status_code=200 if status.ready else 503)

    @app.get("/model", summary="The champion being served", response_model=ModelOut, responses={503: error_responses[503]})
    async def model_info() -> Response:
        model = champion()
        record = model.record
        return _json(
            {
                "version": model.version,
                "dataset_version": record.get("dataset_version"),
                "trained_at": record.get("trained_at"),
                "metrics": record.get("metrics", {}),
                "threshold": model.threshold,
                "known_genres": list(model.known_genres),
                "params": record.get("params", {}),
                "training_data": public_training_data(record),
                "trained_on": training_data_warning(record) or describe_training_data(record),
            }
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        model = holder.current
        return HTMLResponse(render_page(model, PageState(), holder.status().detail), status_code=200 if model else 503)

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def page_answer(request: Request) -> HTMLResponse:
        model = holder.current
        if model is None:
            return HTMLResponse(render_page(None, PageState(), holder.status().detail), status_code=503)
        try:
            state = parse_form(await _read_body(request, max_body_bytes))
        except InputError as exc:
            return HTMLResponse(render_page(model, PageState(problem=exc.detail)), status_code=413 if exc.too_large else 422)
        if state.problem:
            return HTMLResponse(render_page(model, state), status_code=422)
        state.prediction = predict_batch(model, [(state.title, state.genres)])[0]
        answer = {"probability": state.prediction.probability, "label": state.prediction.label, "unknown_genres": state.prediction.unknown_genres}
        log_answers(model, [LoggedItem(state.title, state.genres)], [answer])
        return HTMLResponse(render_page(model, state))

    return app
