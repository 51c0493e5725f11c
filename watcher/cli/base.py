"""The root `watcher` command group; each command module registers its commands on :data:`cli`."""

from __future__ import annotations

import logging

import click

from watcher import __version__
from watcher.errors import WatcherError

EXIT_ERROR = 1
EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): watcher itself failed
log = logging.getLogger(__name__)


class WatcherGroup(click.Group):
    """Turns watcher's own errors into a one-line message and exit code 1, and a bug (any other
    exception) into a logged traceback and exit code 70."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WatcherError as exc:
            click.echo(f"watcher: error: {exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors, --help, ctx.exit(): click's own flow
        except Exception:
            log.critical(
                "watcher %s failed: a bug in watcher, not in its input or setup (please report it with "
                "this traceback)",
                ctx.invoked_subcommand or "",
                exc_info=True,
            )
            ctx.exit(EXIT_BUG)


@click.group(cls=WatcherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watcher")
@click.option(
    "-v", "--verbose", count=True, help="Debug lines of watcher on stderr (-vv: of every library too)."
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option(
    "--table/--plain",
    "table",
    default=None,
    help="Listings as tables (--table) or tab-separated lines (--plain); default: tables on a terminal only.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, table: bool | None) -> None:
    """watcher: follows Microsoft/OpenAI and AI-compute news, compares each article's
    claims with a curated baseline, and flags new deals and contradictions.

    Configuration comes from WATCHER_* environment variables (see README; `watcher config`
    shows what is in effect, `watcher init` writes editable copies of the default files).
    Listings are tables on a terminal and tab-separated lines (header first) in a pipe.
    """
    from watcher.cli.context import WatcherFactory
    from watcher.cli.output import OUTPUT_MODE_KEY
    from watcher.logs import setup_logging

    ctx.ensure_object(WatcherFactory)  # ctx.obj: what commands open their Watcher with (tests may hand one)
    if table is not None:
        ctx.meta[OUTPUT_MODE_KEY] = "table" if table else "plain"
    if quiet:
        setup_logging(logging.ERROR, libraries=logging.ERROR)
    else:
        setup_logging(
            logging.DEBUG if verbose else logging.INFO, libraries=logging.DEBUG if verbose > 1 else None
        )
