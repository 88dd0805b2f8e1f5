"""The command-line interface: the only module that imports click.

Commands parse their options, call one workflow function, and render its result. All failures pass through one
error boundary (``main``) that turns domain errors into a message, a hint and the documented exit status
(``agent.errors.ExitStatus``); ``--debug`` adds the traceback. Heavy modules (Playwright, Flask) are imported
inside the commands that need them, so ``mpesa-agent --help`` stays fast.

Secrets are never accepted as option values: they come from a hidden prompt, ``--*-stdin`` or a documented
environment variable.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import click

from agent import __version__
from agent.errors import AgentError, ExitStatus

log = logging.getLogger("agent")

PLANNED = """\b
Typical use:
  mpesa-agent demo                 see the whole job work on the built-in sandbox
  mpesa-agent setup                create and activate both operators on your portal
  mpesa-agent link-site URL        link your WordPress shop (application password)
  mpesa-agent push                 put the API operator into the shop's M-PESA plugin
  mpesa-agent status               is everything still right?
"""


class _State:
    debug = False
    json = False


STATE = _State()


def _setup_logging(debug: bool) -> None:
    from agent.secret import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    # Third-party debug output can carry request bodies; keep it at INFO even with --debug.
    for noisy in ("urllib3", "asyncio", "PIL", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.INFO if debug else logging.WARNING)


@click.group(epilog=PLANNED, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mpesa-agent")
@click.option("--debug", is_flag=True, envvar="MPESA_AGENT_DEBUG", help="Show debug logs and tracebacks.")
def cli(debug: bool) -> None:
    """Set up M-PESA Org Portal operators and your WooCommerce M-PESA plugin, safely and repeatably."""
    STATE.debug = debug
    _setup_logging(debug)


def emit(data: Any, human: Callable[[Any], None]) -> None:
    """Render a command's result: JSON with --json, else the human renderer."""
    if STATE.json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        human(data)


# ---------------------------------------------------------------------------------------------------------------
# config


@cli.group("config")
def config_group() -> None:
    """Show or create the user configuration file (it never holds secrets)."""


@config_group.command("path")
def config_path() -> None:
    """Print where the configuration file and the agent's state live."""
    from agent import settings

    p = settings.paths()
    click.echo(f"config file: {p.config_file}")
    click.echo(f"data dir:    {p.data_dir}")
    click.echo(f"state dir:   {p.state_dir}")
    click.echo(f"cache dir:   {p.cache_dir}")


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def config_show(as_json: bool) -> None:
    """Print the configuration in effect (file values merged over defaults)."""
    from agent import settings

    STATE.json = as_json
    cfg = settings.load_config()
    data = {
        "path": str(cfg.path),
        "exists": cfg.path.exists(),
        "settings": cfg.settings,
        "profiles": cfg.profiles,
        "sites": cfg.sites,
    }

    def human(d: dict[str, Any]) -> None:
        click.echo(f"# {d['path']}" + ("" if d["exists"] else " (not created yet: mpesa-agent config init)"))
        for key, value in sorted(d["settings"].items()):
            click.echo(f"{key} = {value!r}")
        click.echo(f"profiles: {', '.join(d['profiles']) or '(none)'}")
        click.echo(f"sites: {', '.join(d['sites']) or '(none)'}")

    emit(data, human)


@config_group.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
def config_init(force: bool) -> None:
    """Create the configuration file from the commented example."""
    from agent.workflows.config import init_config

    path = init_config(force=force)
    click.echo(f"Wrote {path}. Edit it, then run: mpesa-agent setup --dry-run")


# ---------------------------------------------------------------------------------------------------------------
# error boundary


def _fail(status: ExitStatus, message: str, hint: str | None) -> NoReturn:
    from agent.secret import redact_text

    click.echo(f"Error: {redact_text(message)}", err=True)
    if hint:
        click.echo(f"Next: {redact_text(hint)}", err=True)
    if STATE.debug:
        click.echo(redact_text(traceback.format_exc()), err=True)
    elif status == ExitStatus.ERROR:
        click.echo("Run again with --debug for the details.", err=True)
    sys.exit(int(status))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``mpesa-agent`` console script: the single error boundary."""
    args = list(sys.argv[1:] if argv is None else argv)
    STATE.debug = "--debug" in args or bool(os.environ.get("MPESA_AGENT_DEBUG"))
    try:
        cli.main(args=args, prog_name="mpesa-agent", standalone_mode=False)
    except click.exceptions.Abort:
        _fail(ExitStatus.NEEDS_HUMAN, "Cancelled.", "Run the same command again when you are ready.")
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(int(ExitStatus.USAGE))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except AgentError as exc:
        _fail(exc.exit_status, exc.message, exc.hint)
    except KeyboardInterrupt:
        _fail(ExitStatus.NEEDS_HUMAN, "Interrupted.", "Run the same command again; finished steps are not redone.")
    except Exception as exc:
        status, message, hint = _translate_foreign(exc)
        _fail(status, message, hint)
    sys.exit(int(ExitStatus.OK))


def _translate_foreign(exc: Exception) -> tuple[ExitStatus, str, str | None]:
    """Map errors raised by wp_bridge (which knows nothing of exit codes) and truly unexpected ones."""
    from wp_bridge.errors import WPBridgeError

    if isinstance(exc, WPBridgeError):
        status = {"auth": ExitStatus.AUTH, "verify": ExitStatus.VERIFY}.get(exc.kind, ExitStatus.SITE)
        return status, exc.message, exc.hint
    return (
        ExitStatus.ERROR,
        f"Unexpected {type(exc).__name__}. Nothing already stored was removed.",
        "Run again with --debug and report the output (it never contains your secrets).",
    )
