"""The results store: runs and their tables in DuckDB (default) or PostgreSQL (by URL)."""

from chipstress.store.results import (
    RUN_KINDS,
    ResultsStore,
    RunRecorder,
    StoredRun,
    default_location,
)

__all__ = ["RUN_KINDS", "ResultsStore", "RunRecorder", "StoredRun", "default_location"]
