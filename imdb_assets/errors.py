"""Errors a person can act on: one line saying what is wrong and where."""


class DataError(ValueError):
    """Input data breaks a contract (file, column and an example row are in the message)."""


class NotReadyError(RuntimeError):
    """Something a command needs does not exist yet (e.g. no trained model)."""


MAX_MESSAGE_CHARACTERS = 300


def one_line(message: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """`message` on one line (whitespace collapsed), cut to `limit` characters with an ellipsis."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def user_error_of(error) -> object | None:
    """The innermost user error under Dagster's wrappers of a run's `SerializableErrorInfo`."""
    while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error


def error_text(error) -> str:
    """A `SerializableErrorInfo`'s message without the exception's class (`pkg.Error: ...`), on one line."""
    message = error.message.strip()
    prefix, _, rest = message.partition(": ")
    if rest and prefix.rsplit(".", 1)[-1] == error.cls_name:
        message = rest
    return one_line(message)
