"""The results store: runs and their tables in DuckDB (default) or PostgreSQL (by URL)."""

from chipstress.store.errors import (
    StoreBusy,
    StoreError,
    StoreReadOnly,
    StoreWriteFailed,
    UnknownRun,
    public_message,
)
from chipstress.store.results import (
    RUN_KINDS,
    ResultsStore,
    RunRecorder,
    StoredRun,
    default_location,
)
from chipstress.store.spill import SaveOutcome, import_kept, import_pending, save_or_keep

__all__ = [
    "RUN_KINDS",
    "ResultsStore",
    "RunRecorder",
    "SaveOutcome",
    "StoreBusy",
    "StoreError",
    "StoreReadOnly",
    "StoreWriteFailed",
    "StoredRun",
    "UnknownRun",
    "default_location",
    "import_kept",
    "import_pending",
    "public_message",
    "save_or_keep",
]
