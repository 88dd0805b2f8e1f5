"""The command-line interface: the only module that imports click.

Commands parse their options, build one ``agent.context.Context``, call one workflow function with it, render its
result and return the result's exit status. Only ``main`` exits: it is the one error boundary that turns domain
errors into a message, a hint and the documented exit status (``agent.errors.ExitStatus``); with ``--json`` the
error is printed as JSON on stdout too; ``--debug`` adds the traceback. Heavy modules (Playwright, Flask) are
imported inside the commands that need them, so ``mpesa-agent --help`` stays fast.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from agent import __version__
from agent.errors import AgentError, AuthError, ExitStatus
from agent.sandbox import runner as sandbox_runner  # cheap: constants only; Flask loads in start()

if TYPE_CHECKING:
    from agent.context import Context
    from agent.portal.human import HumanInput

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
        # Without --debug their warnings (e.g. urllib3's "Retrying ...") are noise beside the agent's own message.
        logging.getLogger(noisy).setLevel(logging.INFO if debug else logging.ERROR)


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


def context(reporter: Any = None, **setting_overrides: Any) -> Context:
    """The run's context: paths and configuration from the environment, the vault opened on first use."""
    from agent.context import Context

    return Context.build(reporter=reporter, **setting_overrides)


def human_input(
    ctx: Context,
    portal_url: str,
    captcha_from: str | None,
    codes_from: str | None,
    codes_command: str | None,
    captcha_command: str | None = None,
) -> HumanInput:
    """Who answers the portal's captcha and SMS codes: the flags, else the settings."""
    from agent.errors import UsageError
    from agent.portal.human import make_inputs
    from agent.sandbox.input import INPUT_KINDS

    s = ctx.settings
    # The settings keys named like the flags (captcha_from, codes_from) win over the old names when present.
    captcha_kind = captcha_from or getattr(s, "captcha_from", None) or s.captcha_provider
    codes_kind = codes_from or getattr(s, "codes_from", None) or s.otp_provider
    if "browser" in (captcha_kind, codes_kind) and s.headless:
        raise UsageError("The browser input needs a visible browser window.", hint="Add --headed.")
    return make_inputs(
        captcha_kind,
        codes_kind,
        portal_url=portal_url,
        captcha_command=captcha_command or s.captcha_command,
        otp_command=codes_command or s.otp_command,
        timeout_s=float(s.human_timeout_s),
        extra_kinds=INPUT_KINDS,
    )


# ---------------------------------------------------------------------------------------------------------------
# config


@cli.group("config")
def config_group() -> None:
    """Show or create the user configuration file (it never holds secrets)."""


@config_group.command("path")
def config_path() -> None:
    """Print where the configuration file and the agent's state live."""
    p = context().paths
    click.echo(f"config file: {p.config_file}")
    click.echo(f"data dir:    {p.data_dir}")
    click.echo(f"state dir:   {p.state_dir}")
    click.echo(f"cache dir:   {p.cache_dir}")


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def config_show(as_json: bool) -> None:
    """Print the configuration in effect (file values merged over defaults)."""
    STATE.json = as_json
    ctx = context()
    cfg = ctx.config
    data = {
        "path": str(cfg.path),
        "exists": cfg.path.exists(),
        "settings": ctx.settings.as_dict(),
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

    path = init_config(context(), force=force)
    click.echo(
        f"Wrote {path}. Edit your profile in it (replace every EDIT-ME with the real data), then run: "
        "mpesa-agent setup --dry-run"
    )


# ---------------------------------------------------------------------------------------------------------------
# progress and secrets input


class StepPrinter:
    """Shows workflow progress: a line per step with a status mark (colour on a TTY unless NO_COLOR)."""

    MARKS: ClassVar[dict[str, tuple[str, str]]] = {
        "ok": ("✓", "green"),
        "skipped": ("–", "cyan"),
        "failed": ("✗", "red"),
        "warning": ("!", "yellow"),
    }

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
        self.titles: dict[str, str] = {}

    def _out(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True, color=self.color)

    def start(self, key: str, title: str) -> None:
        self.titles[key] = title
        self._out(click.style("  … ", dim=True) + title if self.color else f"  ... {title}")

    def finish(self, key: str, status: str, detail: str = "") -> None:
        mark, colour = self.MARKS.get(status, ("•", "white"))
        title = self.titles.get(key, key)
        text = f"  {mark} {title}" + (f": {detail}" if detail else "")
        self._out(click.style(text, fg=colour) if self.color else text)

    def info(self, text: str) -> None:
        self._out(f"    {text}")


def read_secret_stdin(what: str) -> Any:
    """One line from standard input as a Secret (for --*-stdin flags)."""
    from agent.errors import UsageError
    from agent.secret import Secret

    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError(
            f"--{what}-stdin was given but standard input was empty.",
            hint=f"Pipe the {what.replace('-', ' ')} in, e.g. from your password manager.",
        )
    return Secret(line.rstrip("\r\n"))


def secret_source(env_var: str, stdin_flag: bool, what: str) -> Callable[[str], Any]:
    """Where a secret comes from, in order: --*-stdin, the environment variable, a hidden prompt.

    The source is logged (twine-style), never the value.
    """
    from agent.errors import NeedsHumanError
    from agent.secret import Secret

    def get(prompt: str) -> Any:
        if stdin_flag:
            log.info("%s: read from standard input", what)
            return read_secret_stdin(what)
        value = os.environ.get(env_var)
        if value:
            log.info("%s: read from the environment variable %s", what, env_var)
            return Secret(value)
        if not sys.stdin.isatty():
            raise NeedsHumanError(
                f"The {what.replace('-', ' ')} is needed but there is no terminal to ask on.",
                hint=f"Use --{what}-stdin or set {env_var}.",
            )
        log.info("%s: asked at the terminal", what)
        return Secret(click.prompt(prompt, hide_input=True, err=True))

    return get


def ask_text(question: str) -> str:
    return str(click.prompt(question, err=True))


# ---------------------------------------------------------------------------------------------------------------
# setup

INPUT_KINDS = click.Choice(["prompt", "browser", "command", "sandbox"])


@cli.command()
@click.option("--profile", help="Profile (organisation short code) from the configuration file.")
@click.option("--portal-url", help="The portal's address (default: the real portal, or the profile's).")
@click.option("--ui", type=click.Choice(["auto", "classic", "current"]), help="Portal generation (default: detect).")
@click.option("--headed", is_flag=True, help="Show the browser window.")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option(
    "--yes",
    "--non-interactive",
    "non_interactive",
    is_flag=True,
    help="Never ask: a missing input is an error that names it.",
)
@click.option(
    "--resume", "_resume", is_flag=True, help="Continue an interrupted setup (setup always does; this says so)."
)
@click.option("--captcha-from", type=INPUT_KINDS, help="Who types the captcha (default from settings: prompt).")
@click.option("--codes-from", type=INPUT_KINDS, help="Who supplies SMS codes and the web operator's SMS.")
@click.option("--codes-command", help="Program that prints the SMS code (with --codes-from command).")
@click.option("--captcha-command", help="Program that prints the captcha's text (with --captcha-from command).")
@click.option(
    "--admin-password-stdin",
    is_flag=True,
    help="Read the Business Administrator's password from standard input (else MPESA_AGENT_ADMIN_PASSWORD, "
    "else a hidden prompt).",
)
@click.option("--short-code", help="Organisation short code.")
@click.option("--admin-username", help="Business Administrator user name.")
@click.option("--phone", help="Your Safaricom number for operator SMS.")
@click.option("--web-username", help="User name for the new web operator.")
@click.option("--api-username", help="User name for the new API operator (initiator).")
@click.option("--role-set", help="API role set from roles.toml (default osen-default).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def setup(
    profile: str | None,
    portal_url: str | None,
    ui: str | None,
    headed: bool,
    dry_run: bool,
    non_interactive: bool,
    _resume: bool,
    captcha_from: str | None,
    codes_from: str | None,
    codes_command: str | None,
    captcha_command: str | None,
    admin_password_stdin: bool,
    short_code: str | None,
    admin_username: str | None,
    phone: str | None,
    web_username: str | None,
    api_username: str | None,
    role_set: str | None,
    as_json: bool,
) -> ExitStatus:
    """Create and activate the web and API operators on your M-PESA Org Portal (resumable)."""
    from agent.workflows.config import check_no_placeholders
    from agent.workflows.plan import SetupRequest, make_plan
    from agent.workflows.setup import run_setup

    STATE.json = as_json
    interactive = not non_interactive and sys.stdin.isatty()
    overrides = {
        "short_code": short_code,
        "admin_username": admin_username,
        "owner_msisdn": phone,
        "web_operator.username": web_username,
        "api_operator.username": api_username,
        "api_operator.role_set": role_set,
    }
    request = SetupRequest(profile=profile, overrides=overrides, portal_url=portal_url, interactive=interactive)
    ctx = context(StepPrinter(quiet=False), ui=ui, headless=False if headed else None)
    check_no_placeholders(ctx, profile)
    plan = make_plan(ctx, request, ask_text)
    if dry_run:
        from agent.workflows.config import setup_preview

        emit({"dry_run": True, "plan": plan.as_dict(), **setup_preview(plan)}, _render_plan)
        return ExitStatus.OK
    ctx = ctx.replace(
        human=human_input(ctx, plan.portal_url, captcha_from, codes_from, codes_command, captcha_command),
        admin_password=secret_source("MPESA_AGENT_ADMIN_PASSWORD", admin_password_stdin, "admin-password"),
    )
    if not as_json:
        click.echo(
            f"Setting up {plan.web.username} (web) and {plan.api.username} (API) on {plan.portal_url} "
            f"for short code {plan.profile}. Credentials go to: {ctx.vault.backend_name}.",
            err=True,
        )
    result = run_setup(ctx, plan)
    emit(result.as_dict(), _render_setup)
    return result.exit_status


def _render_plan(data: dict[str, Any]) -> None:
    plan = data["plan"]
    click.echo(f"Plan for short code {plan['profile']} on {plan['portal_url']} (nothing will be changed):")
    click.echo(f"  1. log in as the Business Administrator {plan['admin_username']} (captcha + SMS code)")
    for n, key in ((2, "web_operator"), (3, "api_operator")):
        op = plan[key]
        click.echo(
            f"  {n}. create the {op['channel']} operator {op['username']} ({op['rule_profile']}; roles: "
            f"{', '.join(op['roles'])}; SMS to {op['notification_msisdn']}), unless it exists"
        )
    click.echo(
        f"  4. first login as {plan['web_operator']['username']} with the password from its SMS; set a "
        "generated password and security answers (kept in your keyring)"
    )
    click.echo(
        f"  5. as {plan['web_operator']['username']}, set a generated password on "
        f"{plan['api_operator']['username']} so it becomes Active"
    )
    click.echo("  6. read both operators back from the portal")
    click.echo("Identity data sent to Safaricom (as the portal will check it):")
    for key in ("web_operator", "api_operator"):
        who = data["identity"][key]
        name = " ".join(p for p in (who["first_name"], who["middle_name"], who["last_name"]) if p)
        extra = "".join(
            f", {label} {who[k]}" for k, label in (("email", "e-mail"), ("date_of_birth", "born")) if who[k]
        )
        click.echo(f"  {plan[key]['username']}: {name}, {who['id_type']} {who['id_number']}{extra}")
    asks = data["asks"]
    click.echo(
        f"You will be asked for {asks['captchas']} captchas and {asks['sms_codes'] + asks['sms_passwords']} SMS "
        f"messages ({asks['sms_codes']} login codes and the web operator's temporary password), fewer when "
        "resuming a run that got further."
    )
    click.echo("Run the same command without --dry-run to do it.")


def _render_setup(data: dict[str, Any]) -> None:
    click.echo("")
    click.echo(f"{'operator':<18}{'channel':<9}{'status':<16}roles")
    for key in ("web_operator", "api_operator"):
        op = data.get(key)
        if op:
            click.echo(f"{op['username']:<18}{op['channel']:<9}{op['status']:<16}{', '.join(op['roles'])}")
    for warning in data.get("warnings", []):
        click.echo(f"Warning: {warning}")
    if data.get("ok"):
        click.echo("Both operators are Active and their passwords are in your keyring.")
        click.echo("Next: mpesa-agent link-site https://your-shop.example  (then: mpesa-agent push)")


# ---------------------------------------------------------------------------------------------------------------
# WordPress sites


@cli.command("link-site")
@click.argument("url")
@click.option("--username", help="WordPress user (login or e-mail) whose application password you give.")
@click.option("--password-stdin", is_flag=True, help="Read the application password from standard input.")
@click.option("--force", is_flag=True, help="Replace an existing link of this site.")
@click.option(
    "--open-browser/--no-open-browser",
    default=True,
    help="Open the page where WordPress creates the application password (interactive use).",
)
@click.option("--dry-run", is_flag=True, help="Find the site's REST API and plugin, ask for nothing, store nothing.")
@click.option("--yes", is_flag=True, help="Never ask: the password comes from --password-stdin.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def link_site(
    url: str,
    username: str | None,
    password_stdin: bool,
    force: bool,
    open_browser: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> ExitStatus:
    """Link a WordPress site: find its REST API and M-PESA plugin, check an application password, keep it in the
    keyring."""
    from agent.workflows import sites

    STATE.json = as_json
    ctx = context(StepPrinter())
    if dry_run:
        prep = sites.prepare_link(ctx, url)
        emit({"dry_run": True, **prep.to_dict()}, _render_link_plan)
        return ExitStatus.OK
    if yes and not password_stdin:
        from agent.errors import UsageError

        raise UsageError(
            "--yes never asks, so the application password has to come from standard input.",
            hint="Add --username YOUR_WP_LOGIN --password-stdin.",
        )
    if password_stdin:
        if not username:
            from agent.errors import UsageError

            raise UsageError("--password-stdin needs --username.", hint="Add --username YOUR_WP_LOGIN.")
        secret = read_secret_stdin("password")
    else:
        prep = sites.prepare_link(ctx, url)
        if prep.already_linked and not force:
            from agent.errors import AlreadyExistsError

            raise AlreadyExistsError(
                f"{prep.url} is linked already; nothing was changed.",
                hint=f"Use --force to replace the link, or mpesa-agent unlink-site {prep.url}.",
            )
        site = prep.site
        click.echo(
            f"Found WordPress at {prep.url}: REST API {site.get('api_root')}; WooCommerce "
            f"{'yes' if site.get('woocommerce') else 'NOT found'}.",
            err=True,
        )
        if prep.authorize_url:
            click.echo(
                "Create an application password for mpesa-agent here (log in, approve, copy the password):", err=True
            )
            click.echo(f"  {prep.authorize_url}", err=True)
            if open_browser and sys.stdin.isatty():
                import webbrowser

                webbrowser.open(prep.authorize_url)
        if not sys.stdin.isatty():
            from agent.errors import NeedsHumanError

            raise NeedsHumanError(
                "The application password is needed but there is no terminal to ask on.",
                hint="Use --username U --password-stdin.",
            )
        username = username or ask_text("WordPress user name")
        from agent.secret import Secret

        secret = Secret(click.prompt("Application password (as WordPress shows it)", hide_input=True, err=True))
    result = sites.link_site(ctx, url, username or "", secret, force=force)
    emit(result.to_dict(), _render_link)
    return result.exit_status


def _render_link_plan(data: dict[str, Any]) -> None:
    site = data["site"]
    click.echo(
        f"Found WordPress at {data['url']}: REST API {site.get('api_root')}; WooCommerce "
        f"{'yes' if site.get('woocommerce') else 'NOT found'}"
        + ("; linked already (--force replaces the link)" if data["already_linked"] else "")
        + "."
    )
    if data["authorize_url"]:
        click.echo(f"The application password is created at: {data['authorize_url']}")
    click.echo("Nothing was stored. Run the same command without --dry-run to link it.")


def _render_link(data: dict[str, Any]) -> None:
    link = data["link"]
    click.echo(
        f"Linked {link['url']} as {link['username']}: plugin {link['plugin_name']} "
        f"({'replaced the old link' if data['replaced'] else 'new link'})."
    )
    click.echo("Next: mpesa-agent push --dry-run, then mpesa-agent push")


@cli.command("unlink-site")
@click.argument("url")
@click.option("--revoke", is_flag=True, help="Also delete the application password on the site.")
@click.option("--dry-run", is_flag=True, help="Say what would be forgotten (and revoked); change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before forgetting the site (a terminal is asked y/N otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def unlink_site(url: str, revoke: bool, dry_run: bool, yes: bool, as_json: bool) -> ExitStatus:
    """Forget a linked site (its link and its credentials in the keyring)."""
    from agent.workflows import sites
    from wp_bridge.urls import normalize_site_url

    STATE.json = as_json
    ctx = context()
    normalised = normalize_site_url(url)
    if dry_run or (not yes and not as_json and sys.stdin.isatty()):
        known = normalised in ctx.config.sites
        what = (
            f"forget {normalised} (its link and its application password in your keyring)"
            + ("; first delete the application password on the site" if revoke else "")
            if known
            else f"{normalised} is not linked; nothing would be done"
        )
        if dry_run:
            emit(
                {"dry_run": True, "url": normalised, "linked": known, "revoke": revoke},
                lambda _d: click.echo(f"Would {what}." if known else what[0].upper() + what[1:] + "."),
            )
            return ExitStatus.OK
        if known and not click.confirm(f"{what[0].upper() + what[1:]}?", default=False, err=True):
            raise click.exceptions.Abort()
    already_gone = False
    try:
        result = sites.unlink_site(ctx, url, revoke)
    except AuthError as exc:
        from wp_bridge.errors import WrongPasswordError

        if not (revoke and isinstance(exc.__cause__, WrongPasswordError)):
            raise
        # The site refuses the password itself: it was deleted there already. Forgetting it here is all that is left.
        already_gone = True
        result = sites.unlink_site(ctx, url, False)
    data = {**result.to_dict(), "already_revoked": already_gone}

    def human(d: dict[str, Any]) -> None:
        if d["already_revoked"]:
            click.echo(
                f"Unlinked {d['url']}; the site no longer accepts its application password (deleted there already), "
                "so there was nothing left to revoke."
            )
        else:
            revoked = "; its application password was deleted on the site." if d["revoked"] else "."
            click.echo(f"Unlinked {d['url']}{revoked}")

    emit(data, human)
    return result.exit_status


@cli.command("sites")
@click.option("--offline", is_flag=True, help="Do not contact the sites.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sites_command(offline: bool, as_json: bool) -> ExitStatus:
    """List the linked sites and their health."""

    STATE.json = as_json
    from agent.workflows.checks import worst_exit
    from agent.workflows.status import sites_checks

    found = sites_checks(context(), check=not offline)
    data = [
        {
            **site.to_dict(),
            "ok": all(c.ok for c in checks),
            "checks": [c.as_dict() for c in checks],
        }
        for site, checks in found
    ]

    def human(items: list[dict[str, Any]]) -> None:
        if not items:
            click.echo("No linked site. Link one: mpesa-agent link-site https://your-shop.example")
        for item in items:
            link = item["link"]
            health = "not checked (--offline)" if not item["checked"] else ("ok" if item["ok"] else "PROBLEM")
            click.echo(f"{link['url']}  user {link['username']}  plugin {link['plugin_name']}  {health}")
            if not item["ok"]:
                _render_checks(item["checks"])

    emit(data, human)
    return worst_exit(c for _, checks in found for c in checks)


@cli.command()
@click.option("--profile", help="Profile (organisation short code) whose API operator to push.")
@click.option("--site", help="Only this linked site (default: every linked site).")
@click.option("--dry-run", is_flag=True, help="Show the change (secrets masked) and write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before writing (a terminal is shown the change and asked y/N).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def push(profile: str | None, site: str | None, dry_run: bool, yes: bool, as_json: bool) -> ExitStatus:
    """Put the API operator (initiator user name and password) into the sites' M-PESA plugin, then read it back."""
    from agent.workflows import sites

    STATE.json = as_json
    ctx = context(StepPrinter())
    if not (dry_run or yes or as_json) and sys.stdin.isatty():
        preview = sites.push(ctx, profile, site, True)
        changes = sum(len((s.result or {}).get("changes", [])) for s in preview.sites)
        if preview.ok and changes:
            _render_push(preview.to_dict())
            if not click.confirm("Write these settings?", default=False, err=True):
                raise click.exceptions.Abort()
    report = sites.push(ctx, profile, site, dry_run)
    emit(report.to_dict(), _render_push)
    return report.exit_status


def _render_push(data: dict[str, Any]) -> None:
    for site in data["sites"]:
        result = site.get("result") or {}
        if not site["ok"]:
            click.echo(f"{site['url']}: FAILED: {site['problem']}" + (f" Next: {site['hint']}" if site["hint"] else ""))
            continue
        changes = result.get("changes", [])
        if data["dry_run"]:
            click.echo(f"{site['url']}: would change {len(changes)} setting(s):")
            for change in changes:
                click.echo(f"  {change['label'] or change['key']}: {change['before']!r} -> {change['after']!r}")
        elif not changes:
            click.echo(f"{site['url']}: already holds {data['operator']}; nothing to change.")
        else:
            click.echo(
                f"{site['url']}: {data['operator']} written and read back "
                f"({'verified' if result.get('verified') else 'NOT verified'})."
            )


# ---------------------------------------------------------------------------------------------------------------
# rotation


@cli.command()
@click.option("--profile", help="Profile (organisation short code).")
@click.option("--operator", "operator_kind", type=click.Choice(["api", "web"]), help="Which operator (default api).")
@click.option(
    "--strategy",
    type=click.Choice(["single", "alternating"]),
    help="single (default): new password on the same API operator; alternating: a new API operator, "
    "switch the shop to it, close the old one.",
)
@click.option("--if-older-than", help="Only when the password is older than this (e.g. 60d, 8w); for cron/timers.")
@click.option("--resume", is_flag=True, help="Finish a rotation that was interrupted.")
@click.option(
    "--abandon", is_flag=True, help="Drop a rotation in flight (only before it touched the credential in use)."
)
@click.option("--site-credentials", is_flag=True, help="Rotate the linked sites' WordPress application passwords.")
@click.option("--site", help="With --site-credentials: only this site.")
@click.option("--headed", is_flag=True, help="Show the browser window.")
@click.option("--captcha-from", type=INPUT_KINDS, help="Who types the captcha (default from settings: prompt).")
@click.option("--codes-from", type=INPUT_KINDS, help="Who supplies SMS codes.")
@click.option("--codes-command", help="Program that prints the SMS code (with --codes-from command).")
@click.option("--captcha-command", help="Program that prints the captcha's text (with --captcha-from command).")
@click.option(
    "--admin-password-stdin",
    is_flag=True,
    help="Read the Business Administrator's password from stdin "
    "(alternating only; else MPESA_AGENT_ADMIN_PASSWORD, else a hidden prompt).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan (in the order it runs) and change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before rotating (a terminal is asked y/N otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def rotate(
    profile: str | None,
    operator_kind: str | None,
    strategy: str | None,
    if_older_than: str | None,
    resume: bool,
    abandon: bool,
    site_credentials: bool,
    site: str | None,
    headed: bool,
    captcha_from: str | None,
    codes_from: str | None,
    codes_command: str | None,
    captcha_command: str | None,
    admin_password_stdin: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> ExitStatus:
    """Change an operator's password (or the sites' application passwords) without ever losing a working one.

    The new password is kept as "pending" in the keyring before the portal sees it, pushed to every linked site,
    verified, then promoted; an interrupted rotation is finished with --resume.
    """
    from agent.workflows.rotation import RotateRequest, run_rotation

    STATE.json = as_json
    ctx = context(StepPrinter(), headless=False if headed else None)
    found = ctx.find_profile(profile)
    portal_url = (found.portal_url if found else None) or ctx.settings.portal_url
    request = RotateRequest(
        profile=profile,
        operator=operator_kind,
        strategy=strategy,
        resume=resume,
        abandon=abandon,
        if_older_than=if_older_than,
        site_credentials=site_credentials,
        site=site,
    )
    plain_start = not (resume or abandon or site_credentials or if_older_than)
    if dry_run or (plain_start and not yes and not as_json and sys.stdin.isatty()):
        from agent.workflows.rotation.plan import rotation_plan

        plan = rotation_plan(ctx, request)
        if dry_run:
            emit(plan.as_dict(), _render_rotation_plan)
            return ExitStatus.OK
        _render_rotation_plan(plan.as_dict(), err=True)
        if plan.in_flight is None and not click.confirm("Rotate now?", default=False, err=True):
            raise click.exceptions.Abort()
    ctx = ctx.replace(
        human=human_input(ctx, portal_url, captcha_from, codes_from, codes_command, captcha_command),
        admin_password=secret_source("MPESA_AGENT_ADMIN_PASSWORD", admin_password_stdin, "admin-password"),
    )
    result = run_rotation(ctx, request)
    emit(result.as_dict(), lambda d: click.echo(str(d.get("message") or d.get("action"))))
    return result.exit_status


def _render_rotation_plan(data: dict[str, Any], err: bool = False) -> None:
    who = f"the {'web' if data['operator'] == 'web' else 'API'} operator {data['username']}"
    strategy = "" if data["operator"] == "web" else f" ({data['strategy']} strategy)"
    lines = [f"Plan: rotate {who} of short code {data['short_code']}{strategy}:"]
    lines += [f"  {n}. {step}" for n, step in enumerate(data["steps"], 1)]
    if data["in_flight"]:
        lines.append(f"Note: {data['in_flight']}.")
    if not err:
        lines.append("Nothing was changed. Run the same command without --dry-run to do it.")
    for line in lines:
        click.echo(line, err=err)


@cli.command()
@click.option("--profile", help="Profile (organisation short code).")
@click.option("--site", help="Only this linked site (default: every linked site).")
@click.option("--dry-run", is_flag=True, help="Show what would be restored.")
@click.option("--yes", is_flag=True, help="Do not ask before restoring (a terminal is shown the plan and asked y/N).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def rollback(profile: str | None, site: str | None, dry_run: bool, yes: bool, as_json: bool) -> ExitStatus:
    """Put back the plugin settings saved before the last push, where their password still works."""
    from agent.workflows.rotation import rollback as rollback_workflow

    STATE.json = as_json
    ctx = context(StepPrinter())
    if not (dry_run or yes or as_json) and sys.stdin.isatty():
        preview = rollback_workflow(ctx, profile, site, dry_run=True)
        _render_rollback(preview.as_dict())
        if not any(s.get("planned") for s in preview.sites):
            return preview.exit_status
        if not click.confirm("Put these settings back?", default=False, err=True):
            raise click.exceptions.Abort()
    result = rollback_workflow(ctx, profile, site, dry_run=dry_run)
    emit(result.as_dict(), _render_rollback)
    # A dry run only tells: what it could not restore is in its report, not a failure (exit 0).
    return ExitStatus.OK if dry_run else result.exit_status


def _render_rollback(data: dict[str, Any]) -> None:
    for site in data["sites"]:
        if site.get("restored") or site.get("planned"):
            verb = "would be put back" if site.get("planned") else "put back"
            click.echo(f"{site['url']}: {verb} on {site.get('username')}")
        else:
            click.echo(f"{site['url']}: not restored: {site.get('reason')}")
    click.echo(data["message"])


# ---------------------------------------------------------------------------------------------------------------
# go-live

GO_LIVE_SECRETS = (
    ("consumer-key", "MPESA_AGENT_CONSUMER_KEY", "Daraja app Consumer Key"),
    ("consumer-secret", "MPESA_AGENT_CONSUMER_SECRET", "Daraja app Consumer Secret"),
    ("passkey", "MPESA_AGENT_PASSKEY", "Lipa Na M-PESA Online passkey"),
)


def read_go_live_secrets(from_stdin: bool) -> Any:
    """The consumer key, secret and passkey: three lines of stdin (--secrets-stdin), else each from its variable,
    else a hidden prompt. The source is logged, never the value."""
    from agent.errors import UsageError
    from agent.secret import Secret
    from agent.workflows.golive import DarajaKeys

    values: list[Any] = []
    for what, env_var, prompt in GO_LIVE_SECRETS:
        if from_stdin:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line.strip():
                raise UsageError(
                    f"--secrets-stdin needs three lines (consumer key, consumer secret, passkey): no {what}.",
                    hint="Pipe the three lines in, e.g. from your password manager.",
                )
            log.info("%s: read from standard input", what)
            values.append(Secret(line.strip()))
        else:
            values.append(Secret(secret_source(env_var, False, what)(prompt).reveal().strip()))
    return DarajaKeys(*values)


@cli.command("go-live")
@click.option("--site", help="The linked site (default: the only linked site).")
@click.option("--profile", help="Profile (organisation short code).")
@click.option("--environment", type=click.Choice(["sandbox", "production"]), required=True, help="Daraja environment.")
@click.option("--payment-type", type=click.Choice(["paybill", "till"]), required=True, help="How the shop is paid.")
@click.option("--short-code", help="Paybill (default: the profile's short code), or a till's till number.")
@click.option("--store-number", help="A till's store number (the organisation short code above the till).")
@click.option("--secrets-stdin", is_flag=True, help="Read consumer key, consumer secret and passkey as 3 lines.")
@click.option("--dry-run", is_flag=True, help="Check everything and show the plan (secrets masked); write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before writing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def go_live(
    site: str | None,
    profile: str | None,
    environment: str,
    payment_type: str,
    short_code: str | None,
    store_number: str | None,
    secrets_stdin: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> ExitStatus:
    """Check the Daraja app's keys and passkey against Daraja and the profile, then push them with the initiator.

    The consumer key, consumer secret and passkey come from --secrets-stdin (three lines), else from
    MPESA_AGENT_CONSUMER_KEY, MPESA_AGENT_CONSUMER_SECRET and MPESA_AGENT_PASSKEY, else hidden prompts."""
    from agent.errors import NeedsHumanError
    from agent.workflows import golive

    STATE.json = as_json
    keys = read_go_live_secrets(secrets_stdin)
    if not (yes or dry_run):
        if not sys.stdin.isatty():
            raise NeedsHumanError(
                "go-live writes to the shop's M-PESA plugin and needs a confirmation.",
                hint="Add --yes (or try --dry-run first).",
            )
        if not click.confirm(f"Push the {environment} Daraja settings to the shop's M-PESA plugin?", err=True):
            raise click.exceptions.Abort()
    result = golive.go_live(
        context(StepPrinter()),
        keys,
        environment=environment,
        payment_type="till" if payment_type == "till" else "paybill",
        profile=profile,
        site=site,
        short_code=short_code,
        store_number=store_number,
        dry_run=dry_run,
    )
    emit(result.as_dict(), _render_go_live)
    return result.exit_status


def _render_go_live(data: dict[str, Any]) -> None:
    verb = "would push" if data["dry_run"] else "pushed"
    click.echo(f"{data['site_url']}: Daraja {data['environment']} keys verified; {verb}:")
    for name, value in data["plan"].items():
        click.echo(f"  {name:<18} {value}")
    for finding in data["findings"]:
        if finding["status"] != "ok":
            click.echo(f"  {finding['status']}: {finding['title']}: {finding['evidence']}")
    if data["dry_run"]:
        click.echo("Nothing was written. Next: mpesa-agent go-live ... without --dry-run")
    else:
        click.echo("Read back from the plugin: " + ("verified." if data["ok"] else "NOT verified."))
        click.echo("Next: mpesa-agent doctor")


# ---------------------------------------------------------------------------------------------------------------
# status and doctor


CHECK_MARKS = {"ok": "ok", "attention": "ATTENTION", "problem": "PROBLEM", "unknown": "UNKNOWN"}


def _render_checks(checks: list[dict[str, Any]]) -> None:
    for check in checks:
        click.echo(f"  {CHECK_MARKS.get(check['status'], check['status']):<10} {check['title']}: {check['evidence']}")
        if check["status"] != "ok" and check["fix"]:
            click.echo(f"             Next: {check['fix']}")


def _render_status(data: dict[str, Any]) -> None:
    title = "mpesa-agent doctor" if data.get("doctor") else "mpesa-agent status"
    click.echo(f"{title}" + (f": short code {data['profile']}" if data["profile"] else ""))
    _render_checks(data["checks"])
    counts = {s: sum(1 for c in data["checks"] if c["status"] == s) for s in CHECK_MARKS}
    if data["ok"]:
        click.echo(f"All good: {counts['ok']} checks ok.")
    else:
        parts = [f"{n} {s}" for s, n in counts.items() if n and s != "ok"]
        click.echo(f"Not all good ({', '.join(parts)}): see the Next: lines above. Exit status {data['exit_status']}.")


def _status_command(profile: str | None, as_json: bool, offline: bool, doctor: bool) -> ExitStatus:
    from agent.workflows.status import collect_status

    STATE.json = as_json
    report = collect_status(context(), profile, check_sites=not offline, doctor=doctor)
    emit(report.as_dict(), _render_status)
    return report.exit_status


STATUS_EXITS = """\b
Exit status (useful in cron): 0 every check ok; 5 something needs attention (nothing set up yet, an
operator unknown, a rotation in flight, the plugin's initiator differs: run push) or could not be checked
(--offline); 7 a site or plugin problem; 4 the keyring is unavailable."""


@cli.command(epilog=STATUS_EXITS)
@click.option("--profile", help="Profile (organisation short code).")
@click.option("--offline", is_flag=True, help="Do not contact the linked sites (their checks are unknown).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(profile: str | None, offline: bool, as_json: bool) -> ExitStatus:
    """Is everything still right? A list of checks: vault, profile, operators and password ages, rotations in
    flight, linked sites and their plugin's initiator."""
    return _status_command(profile, as_json, offline, doctor=False)


@cli.command(epilog=STATUS_EXITS)
@click.option("--profile", help="Profile (organisation short code).")
@click.option("--offline", is_flag=True, help="Do not contact the sites or Daraja (their checks are unknown).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def doctor(profile: str | None, offline: bool, as_json: bool) -> ExitStatus:
    """status, plus the go-live checks of every linked site (plugin short code, store number, identifier type and
    environment against the profile; the Daraja token; the initiator), HTTPS and permalinks."""
    return _status_command(profile, as_json, offline, doctor=True)


# ---------------------------------------------------------------------------------------------------------------
# sandbox and demo


@cli.group()
def portal() -> None:
    """Look at the portal without changing it."""


@portal.command("check")
@click.option("--profile", help="Profile (organisation short code) from the configuration file.")
@click.option("--portal-url", help="The portal's address (default: the profile's, else the real portal).")
@click.option("--username", help="Log in as this operator (default: the profile's Business Administrator).")
@click.option("--ui", type=click.Choice(["auto", "classic", "current"]), help="Portal generation (default: detect).")
@click.option("--headed", is_flag=True, help="Show the browser window.")
@click.option(
    "--record",
    "record",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write redacted accessibility snapshots of each screen into this directory (to attach to a report).",
)
@click.option("--captcha-from", type=INPUT_KINDS, help="Who types the captcha (default from settings: prompt).")
@click.option("--codes-from", type=INPUT_KINDS, help="Who supplies SMS codes.")
@click.option("--codes-command", help="Program that prints the SMS code (with --codes-from command).")
@click.option(
    "--admin-password-stdin",
    is_flag=True,
    help="Read the password from standard input (else MPESA_AGENT_ADMIN_PASSWORD, else a hidden prompt).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def portal_check(
    profile: str | None,
    portal_url: str | None,
    username: str | None,
    ui: str | None,
    headed: bool,
    record: Path | None,
    captcha_from: str | None,
    codes_from: str | None,
    codes_command: str | None,
    admin_password_stdin: bool,
    as_json: bool,
) -> ExitStatus:
    """Log in and check every screen setup uses against the page map, submitting nothing (exit 0, or 6 on drift)."""
    from agent.workflows.portal_check import run_portal_check

    STATE.json = as_json
    ctx = context(StepPrinter(quiet=as_json), ui=ui, headless=False if headed else None)
    ctx = ctx.replace(
        admin_password=secret_source("MPESA_AGENT_ADMIN_PASSWORD", admin_password_stdin, "admin-password")
    )
    report = run_portal_check(
        ctx,
        profile,
        portal_url=portal_url,
        username=username,
        record_dir=record,
        make_human=lambda url: human_input(ctx, url, captcha_from, codes_from, codes_command),
    )
    emit(report.as_dict(), lambda _data: click.echo("\n".join(report.lines())))
    if report.exit_status != ExitStatus.OK and not as_json:
        click.echo(
            "Next: the portal differs from config/portal.toml. Copy the changed entry into portal.toml in your "
            "config dir (see the README, 'When the portal changes'), or report it with the --record snapshots.",
            err=True,
        )
    return report.exit_status


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=sandbox_runner.DEFAULT_PORTAL_PORT,
    show_default=True,
    help="Portal port on 127.0.0.1 (0 = a free one).",
)
@click.option(
    "--shop-port",
    type=click.IntRange(0, 65535),
    default=sandbox_runner.DEFAULT_SHOP_PORT,
    show_default=True,
    help="Shop port on 127.0.0.1 (0 = a free one).",
)
@click.option("--ui", type=click.Choice(["classic", "current"]), default="classic", help="Portal generation.")
@click.option(
    "--markup",
    default="default",
    show_default=True,
    help="How the portal's pages are built (same screens and labels): default, hard, or axes such as "
    "grid-div,checkbox-unnamed,frames-2 (an unknown one lists them).",
)
def sandbox(port: int, shop_port: int, ui: str, markup: str) -> None:
    """Run the sandbox portal and shop on this computer to try the agent by hand (Ctrl-C stops them)."""
    running = sandbox_runner.start(ui=ui, mode="demo", portal_port=port, shop_port=shop_port, markup=markup)
    try:
        for line in sandbox_runner.banner(running, ui=ui):
            click.echo(line)
        running.portal.wait()
    except KeyboardInterrupt:
        click.echo("Stopping the sandbox.")
    finally:
        running.stop()


@cli.command()
@click.option("--ui", type=click.Choice(["classic", "current"]), default="classic", help="Portal generation.")
@click.option("--headed", is_flag=True, help="Show the browser window.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def demo(ui: str, headed: bool, as_json: bool) -> ExitStatus:
    """See the whole job work on the built-in sandbox portal and shop (nothing is kept afterwards)."""
    from agent.workflows.demo import run_demo

    STATE.json = as_json
    if not as_json:
        click.echo(
            "mpesa-agent demo: the whole job on a local sandbox portal and shop, with a throw-away vault.", err=True
        )
    result = run_demo(ui=ui, headless=not headed, reporter=StepPrinter())
    emit(result.as_dict(), _render_demo)
    return result.exit_status


def _render_demo(data: dict[str, Any]) -> None:
    click.echo("")
    click.echo("Summary")
    for op in data["operators"]:
        click.echo(
            f"  {op['channel']:<4} operator {op['username']:<12} {op['status']:<8} roles: {', '.join(op['roles'])}"
        )
    for site in data["push"]["sites"]:
        result = site.get("result") or {}
        verified = (
            "initiator verified by read-back"
            if result.get("verified") or result.get("changes") == []
            else ("NOT verified")
        )
        click.echo(f"  shop {site['url']}: plugin {result.get('plugin_name') or result.get('plugin')}, {verified}")
    for line in data.get("golive_summary", []):
        click.echo(f"  {line}")
    click.echo(f"  status: {'all good' if data['status']['ok'] else 'needs attention'}")
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in data["phases"].items())
    click.echo(f"  time: {phases}")
    click.echo("On the real portal:")
    for line in data["differences"]:
        click.echo(f"  - {line}")
    click.echo("Next: mpesa-agent config init, then mpesa-agent setup --dry-run")


# ---------------------------------------------------------------------------------------------------------------
# error boundary


def _fail(status: ExitStatus, message: str, hint: str | None, exc: BaseException | None = None) -> NoReturn:
    """Say what happened and what to run next (stderr; with --json also as JSON on stdout), then exit."""
    from agent.secret import redact_text

    if status == ExitStatus.INTERRUPTED:  # Ctrl-C: one line, no traceback
        click.echo(f"{message} Next: {hint}", err=True)
        sys.exit(int(status))
    click.echo(f"Error: {redact_text(message)}", err=True)
    if hint:
        click.echo(f"Next: {redact_text(hint)}", err=True)
    if STATE.debug:
        click.echo(redact_text(traceback.format_exc()), err=True)
    elif status == ExitStatus.ERROR:
        click.echo("Run again with --debug for the details.", err=True)
    if STATE.json:
        error = {
            "ok": False,
            "error": type(exc).__name__ if exc is not None else "Cancelled",
            "message": redact_text(message),
            "hint": redact_text(hint) if hint else None,
            "exit_status": int(status),
        }
        click.echo(json.dumps(error, indent=2, sort_keys=True, default=str))
    sys.exit(int(status))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``mpesa-agent`` console script: the single error boundary, and the only place that exits.
    A command returns its result's exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    STATE.debug = "--debug" in args or bool(os.environ.get("MPESA_AGENT_DEBUG"))
    try:
        status = cli.main(args=args, prog_name="mpesa-agent", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            _interrupted(args)
        _fail(ExitStatus.NEEDS_HUMAN, "Cancelled.", "Run the same command again when you are ready.")
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(int(ExitStatus.USAGE))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except AgentError as exc:
        error = _as_network_error(exc)
        _fail(error.exit_status, error.message, error.hint, exc)
    except KeyboardInterrupt:
        _interrupted(args)
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is explained, never a raw traceback
        status_, message, hint = _translate_foreign(exc)
        _fail(status_, message, hint, exc)
    sys.exit(int(status) if isinstance(status, int) else int(ExitStatus.OK))


def _interrupted(args: list[str]) -> NoReturn:
    """Ctrl-C: one line and exit 130. Library chatter that would follow (urllib3 retries, an asyncio task's
    traceback while the browser closes) is silenced first."""
    logging.disable(logging.CRITICAL)
    command = next((a for a in args if not a.startswith("-")), "")
    again = (
        "mpesa-agent rotate --resume (finishes the rotation in flight)"
        if command == "rotate"
        else "the same command again; finished steps are not redone"
    )
    _fail(ExitStatus.INTERRUPTED, "Interrupted.", f"run {again}.")


def _as_network_error(exc: AgentError) -> AgentError:
    """Daraja unreachable, timed out or unavailable (``DarajaUnavailableError``) is the documented network exit."""
    from agent.errors import NetworkError
    from agent.golive.daraja import DarajaUnavailableError

    if isinstance(exc, DarajaUnavailableError):
        return NetworkError(exc.message, hint=exc.hint or "Try again in a few minutes.")
    return exc


_NETWORK_MARKERS = (
    "net::ERR_",  # Chromium (Playwright): connection refused, name not resolved, timed out, ...
    "NS_ERROR_",
    "Connection refused",
    "Name or service not known",
    "Temporary failure in name resolution",
)


def _network_failure(exc: Exception) -> str | None:
    """What an unreachable address looks like when a library (Playwright, requests) raised it, or None."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return type(exc).__name__
    text = str(exc)
    for marker in _NETWORK_MARKERS:
        if marker in text:
            found = next((w for w in text.split() if marker in w), marker)
            return found.strip(".,:;()")
    return None


def _translate_foreign(exc: Exception) -> tuple[ExitStatus, str, str | None]:
    """A wp_bridge error that escaped a workflow (through the one translation, ``agent.workflows.edge``), or a
    truly unexpected one."""
    from wp_bridge.errors import WPBridgeError

    if isinstance(exc, WPBridgeError):
        from agent.workflows.edge import from_wp

        error = from_wp(exc)
        return error.exit_status, error.message, error.hint
    network = _network_failure(exc)
    if network is not None:
        return (
            ExitStatus.NETWORK,
            f"Could not reach the portal or service ({network}). Nothing already stored was removed.",
            "Check the address (--portal-url, or portal_url in the profile) and your connection, then run the "
            "same command again.",
        )
    return (
        ExitStatus.ERROR,
        f"Unexpected {type(exc).__name__}. Nothing already stored was removed.",
        "Run again with --debug and report the output (it never contains your secrets).",
    )
