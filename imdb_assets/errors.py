"""Errors a person can act on: one line saying what is wrong and where."""


class DataError(ValueError):
    """Input data breaks a contract (file, column and an example row are in the message)."""


class NotReadyError(RuntimeError):
    """Something a command needs does not exist yet (e.g. no trained model)."""
