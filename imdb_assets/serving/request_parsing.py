"""Turn a raw /predict body into validated items, or one line saying which field is wrong and why.

Whatever the body holds, the answer is an InputError (a 4xx), never an exception from parsing it:
integers past Python's 4,300-digit conversion limit, NaN and Infinity (not JSON), nesting past the
parser's depth, and field names of any size or with line breaks (shortened to one short line).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, NoReturn

from pydantic import Field, TypeAdapter, ValidationError

from imdb_assets.errors import one_line
from imdb_assets.serving.schemas import PredictItem

_ITEMS = TypeAdapter(list[PredictItem])
_ITEM_FIELDS = frozenset(PredictItem.model_fields)
_SHOWN_ERRORS = 3
_JSON_TYPE_NAMES = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
# Python's default limit for int("...") (sys.int_info.default_max_str_digits); converting longer ones is
# refused by Python, or quadratic where the limit is lifted. No field of a request is a number anyway.
MAX_INTEGER_DIGITS = 4300
_SHOWN_KEY_CHARACTERS = 40


class InputError(ValueError):
    """A request the server refuses (HTTP 422, or 413 when `too_large`); `detail` names the field at fault."""

    def __init__(self, field: str, detail: str, too_large: bool = False):
        super().__init__(detail)
        self.field = field
        self.detail = detail
        self.too_large = too_large


def body_error(problem: str, too_large: bool = False) -> InputError:
    return InputError("body", f"request body {problem}", too_large)


def _shown_key(key: str) -> str:
    """A field name as sent, on one short line (a caller may send a megabyte-long key, or line breaks)."""
    return one_line(key, _SHOWN_KEY_CHARACTERS) if len(key) > _SHOWN_KEY_CHARACTERS or not key.isprintable() else key


def field_path(loc: Sequence[str | int]) -> str:
    """("genres", 0) -> "genres[0]"; (3, "title") -> "[3].title"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{_shown_key(part)}" if path else _shown_key(str(part)))
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


def _integer(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_INTEGER_DIGITS:
        raise body_error(f"holds an integer of {count:,} digits (at most {MAX_INTEGER_DIGITS:,} are read)")
    return int(digits)


def _not_json(constant: str) -> NoReturn:
    raise body_error(f"is not valid JSON ({constant} is not a JSON number)")


_DECODER = json.JSONDecoder(parse_int=_integer, parse_constant=_not_json)  # built once: requests are hot


def _loads(text: str) -> object:
    """json.loads, every failure an InputError."""
    try:
        return _DECODER.decode(text)
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        problem = exc.msg.removesuffix(" at")  # "Invalid control character at"
        raise body_error(f"is not valid JSON ({problem} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise body_error("is nested too deeply") from None
    except ValueError as exc:  # a number the parser cannot convert
        raise body_error(f"is not valid JSON ({one_line(str(exc), 80)})") from None


@lru_cache(maxsize=8)
def _batch_adapter(max_batch: int) -> TypeAdapter:
    # Bounded: pydantic stops at the limit, where an unbounded list of 2 M bad items takes it 20 s to refuse.
    return TypeAdapter(Annotated[list[PredictItem], Field(min_length=1, max_length=max_batch)])


def _check_field_count(item: object, loc: tuple[int, ...] = ()) -> None:
    """Refuse an item with far more fields than it has before validating it: pydantic spends a second
    listing the 300,000 unknown keys a 4 MB body can hold."""
    if isinstance(item, dict) and len(item) > len(_ITEM_FIELDS) + _SHOWN_ERRORS:
        first = field_path((*loc, next(str(key) for key in item if key not in _ITEM_FIELDS)))
        known = " and ".join(sorted(_ITEM_FIELDS, reverse=True))
        problem = f"Extra inputs are not permitted (the item holds {len(item):,} fields; only {known} are known)"
        raise InputError(first, f"{first}: {problem}")


def _validated(validate, payload: object) -> object:
    try:
        return validate(payload)
    except ValidationError as exc:
        raise validation_error_to_input_error(exc) from None


def parse_predict_body(body: bytes, max_batch: int) -> tuple[list[PredictItem], bool]:
    """The items to predict and whether the caller sent a list (and so wants a list back)."""
    text = decode_utf8(body)
    if text.lstrip().startswith("["):
        try:  # the common case in one pass through pydantic-core (twice as fast as json.loads + validate)
            return _batch_adapter(max_batch).validate_json(text), True
        except ValidationError:
            pass  # the slower path below names the problem
    if not text.strip():
        raise body_error('is empty: send {"title": ..., "genres": [...]} or a list of them')
    payload = _loads(text)
    if isinstance(payload, dict):
        _check_field_count(payload)
        return [_validated(PredictItem.model_validate, payload)], False
    if isinstance(payload, list):
        if not payload:
            raise body_error("is an empty list: send at least one {title, genres}")
        if len(payload) > max_batch:
            raise body_error(f"holds a batch of {len(payload)} items, over the limit of {max_batch} per request")
        for index, item in enumerate(payload):
            _check_field_count(item, (index,))
        return _validated(_ITEMS.validate_python, payload), True
    raise body_error(f'must be an object {{"title", "genres"}} or a list of them, not a JSON {_JSON_TYPE_NAMES[type(payload)]}')
