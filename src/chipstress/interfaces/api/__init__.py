"""The HTTP API and dashboard behind ``chipstress serve``.

:func:`create_app` builds the FastAPI application: networks (built-in and uploaded),
background jobs (sweep, impact, survive, what-if, replay, scenario, simulation) with
progress, stored runs and their reports, the OpenAPI schema at ``/openapi.json`` and
the dashboard at ``/`` (static files served from the package; nothing from a CDN).
"""

from chipstress.interfaces.api.app import DEFAULT_MAX_UPLOAD_BYTES, create_app

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "create_app"]
