"""The web dashboard alone: `watcher web`."""

from __future__ import annotations

import click

from watcher.cli.base import cli
from watcher.cli.context import opened


@cli.command()
@click.option("--host", help="Address to listen on (default WATCHER_WEB_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port (default WATCHER_WEB_PORT, 8765; 0 picks one)."
)
def web(host: str | None, port: int | None) -> None:
    """Serve the dashboard (findings, Confirm / Dismiss, baseline, feeds, landscape) without polling.

    Listening beyond loopback needs WATCHER_WEB_TOKEN; every change is a POST with a CSRF token.
    `watcher run` serves the same dashboard on WATCHER_WEB_PORT while it polls.
    """
    from watcher.web.app import WebServer  # heavy: Flask loads only for this command

    with opened() as w:
        s = w.settings
        token = s.web_token.get_secret_value() if s.web_token else None
        server = WebServer(w, host or s.web_host, s.web_port if port is None else port, token)
        click.echo(f"dashboard on {server.url}", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
