"""What goes wrong with the results database, with a message fit for each audience.

Every error here carries two messages: ``str(error)`` for the person at this machine
(it may name the database file, the spill folder and the command to run next) and
``error.public_message`` for a remote caller of the HTTP API (the same words without
any filesystem path or database URL)::

    ChipstressError
    └── InvalidInput
        ├── StoreError            the results database cannot be opened, read or written
        │   ├── StoreBusy         another process held it past the waiting deadline
        │   ├── StoreReadOnly     it can be read but not written (read-only file or folder)
        │   └── StoreWriteFailed  a run's rows could not be written (disk full, I/O error);
        │                         the run stays resumable, the message says how
        └── UnknownRun            no run has the id asked for (or a part matches several)

(:class:`StoreError` derives from :class:`~chipstress.errors.InvalidInput`, as the
store's errors always have, so code catching that keeps working.)
"""

from __future__ import annotations

from chipstress.errors import InvalidInput

__all__ = [
    "StoreBusy",
    "StoreError",
    "StoreReadOnly",
    "StoreWriteFailed",
    "UnknownRun",
    "public_message",
]


class StoreError(InvalidInput):
    """The results database cannot be opened, read or written.

    Parameters
    ----------
    message
        The full message for the local user (may name the database's location).
    public_message
        The message for API callers, without paths or URLs (default: ``message``).
    """

    def __init__(self, message: str, public_message: str | None = None) -> None:
        super().__init__(message)
        self.public_message = message if public_message is None else public_message


class StoreBusy(StoreError):
    """Another process held the database locked for longer than the store waits."""


class StoreReadOnly(StoreError):
    """The database can be read but not written (a read-only file or folder)."""


class StoreWriteFailed(StoreError):
    """Writing a run failed (disk full, I/O error); what was stored before is kept.

    Attributes
    ----------
    run_id
        The run concerned (resumable with ``--resume``), or ``""``.
    """

    def __init__(self, message: str, public_message: str | None = None, run_id: str = "") -> None:
        super().__init__(message, public_message)
        self.run_id = run_id


class UnknownRun(InvalidInput):
    """No stored run has this id, or a prefix of an id matches several runs.

    Parameters
    ----------
    message
        The full message (may name the database's location).
    public_message
        The same without the location, for API callers.
    ambiguous
        True when the id matched several runs (an API answers 422, else 404).
    """

    def __init__(self, message: str, public_message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.public_message = public_message
        self.ambiguous = ambiguous


def public_message(error: BaseException) -> str:
    """What an API caller may be told about ``error``: its ``public_message`` if it has
    one (every error of this module), else ``str(error)``.

    Parameters
    ----------
    error
        Any exception.

    Returns
    -------
    str
        The message without the server's paths for the store's errors.
    """
    message = getattr(error, "public_message", None)
    return message if isinstance(message, str) else str(error)
