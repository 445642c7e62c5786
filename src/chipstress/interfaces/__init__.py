"""Interfaces: the ``chipstress`` command line (and later the HTTP API, dashboard, report)."""

__all__: list[str] = []
