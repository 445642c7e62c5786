"""``chipstress serve``: the HTTP API and dashboard on a local port.

Binds to 127.0.0.1 by default. Binding to any other address exposes the server to the
network, so it then needs a token (``--token`` or ``$CHIPSTRESS_TOKEN``), which every
request must carry as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from chipstress.interfaces.cli._common import error_console
from chipstress.interfaces.cli._process import end_start_up
from chipstress.interfaces.cli.runs import DbOption

__all__ = ["is_loopback", "serve"]

TOKEN_ENV = "CHIPSTRESS_TOKEN"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (other than 127.0.0.1 needs a token).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help=f"Require 'Authorization: Bearer TOKEN' on every request (default ${TOKEN_ENV}).",
        ),
    ] = None,
    db: DbOption = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.001, help="Largest network upload, in MB.")
    ] = 50.0,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Jobs that run at once.")
    ] = 2,
) -> None:
    """Serve the HTTP API (OpenAPI schema at /openapi.json) and the dashboard at /."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and not token:
        error_console.print(
            f"[red]error:[/red] binding to {host} exposes the server beyond this machine; "
            f"give --token TOKEN (or set ${TOKEN_ENV}) so that every request must carry it"
        )
        raise typer.Exit(2)
    import uvicorn

    from chipstress.interfaces.api import create_app

    # Without a token, answer only to loopback names (no DNS rebinding from a web page).
    loopback_hosts = sorted({"127.0.0.1", "localhost", "::1", "[::1]", host.strip("[]")})
    app = create_app(
        db=db,
        token=token,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        workers=workers,
        allowed_hosts=None if token else loopback_hosts,
    )
    shown = f"[{host}]" if ":" in host else host
    error_console.print(
        f"chipstress dashboard at http://{shown}:{port}/"
        + (" (token required; open /?token=... once)" if token else "")
    )
    end_start_up()  # a server runs for days: collect its garbage as usual
    uvicorn.run(app, host=host, port=port, log_level="warning")
