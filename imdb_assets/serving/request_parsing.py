"""Turn a raw /predict body into validated items, or one line saying which field is wrong and why."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import TypeAdapter, ValidationError

from imdb_assets.serving.schemas import PredictItem

_ITEMS = TypeAdapter(list[PredictItem])
_SHOWN_ERRORS = 3
_JSON_TYPE_NAMES = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


class InputError(ValueError):
    """A request the server refuses (HTTP 422, or 413 when `too_large`); `detail` names the field at fault."""

    def __init__(self, field: str, detail: str, too_large: bool = False):
        super().__init__(detail)
        self.field = field
        self.detail = detail
        self.too_large = too_large


def body_error(problem: str, too_large: bool = False) -> InputError:
    return InputError("body", f"request body {problem}", too_large)


def field_path(loc: Sequence[str | int]) -> str:
    """("genres", 0) -> "genres[0]"; (3, "title") -> "[3].title"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: dict) -> str:
    """pydantic's message, except where ours says more (its patterns mean nothing to a caller)."""
    if error["type"] == "string_pattern_mismatch":
        return "must not be blank" if error["loc"][-1] == "title" else "one genre per item, without commas"
    if error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "must not be empty"
    return error["msg"]


def validation_error_to_input_error(exc: ValidationError) -> InputError:
    errors = exc.errors(include_url=False, include_input=False)
    fields = [field_path(error["loc"]) for error in errors]
    parts = [f"{field}: {_message(error)}" for field, error in zip(fields, errors)][:_SHOWN_ERRORS]
    more = len(errors) - len(parts)
    return InputError(fields[0], "; ".join(parts) + (f"; and {more} more" if more > 0 else ""))


def decode_utf8(body: bytes, what: str = "request body") -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("body", f"{what} is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start})") from None


def parse_predict_body(body: bytes, max_batch: int) -> tuple[list[PredictItem], bool]:
    """The items to predict and whether the caller sent a list (and so wants a list back)."""
    text = decode_utf8(body)
    if text.lstrip().startswith("["):
        try:  # the common case in one pass through pydantic-core (twice as fast as json.loads + validate)
            items = _ITEMS.validate_json(text)
        except ValidationError:
            pass  # the slower path below names the problem
        else:
            if 0 < len(items) <= max_batch:
                return items, True
    if not text.strip():
        raise body_error('is empty: send {"title": ..., "genres": [...]} or a list of them')
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise body_error(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise body_error("is nested too deeply") from None
    if isinstance(payload, dict):
        try:
            return [PredictItem.model_validate(payload)], False
        except ValidationError as exc:
            raise validation_error_to_input_error(exc) from None
    if isinstance(payload, list):
        if not payload:
            raise body_error("is an empty list: send at least one {title, genres}")
        if len(payload) > max_batch:
            raise body_error(f"holds a batch of {len(payload)} items, over the limit of {max_batch} per request")
        try:
            return _ITEMS.validate_python(payload), True
        except ValidationError as exc:
            raise validation_error_to_input_error(exc) from None
    raise body_error(f'must be an object {{"title", "genres"}} or a list of them, not a JSON {_JSON_TYPE_NAMES[type(payload)]}')
