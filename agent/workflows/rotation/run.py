"""The entry point of ``mpesa-agent rotate``: start, resume or abandon a rotation of the profile's operator, or
replace the linked sites' application passwords."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from agent.context import Context
from agent.errors import AgentError, ConflictError, UsageError
from agent.journal import Journal
from agent.workflows.progress import RecordingReporter
from agent.workflows.rotation.ages import profile_ages
from agent.workflows.rotation.alternating import AlternatingRotation
from agent.workflows.rotation.base import Rotation
from agent.workflows.rotation.record import (
    Target,
    conflict,
    end_untouched,
    explain,
    like,
    load_target,
    site_values,
    start_record,
    touched,
)
from agent.workflows.rotation.request import (
    DEFAULT_STRATEGY,
    RotateRequest,
    RotateResult,
    check_request,
    check_resume_request,
    parse_age,
)
from agent.workflows.rotation.single import SingleRotation
from agent.workflows.rotation.undo import abandon
from agent.workflows.rotation.web import WebRotation


def run_rotation(ctx: Context, request: RotateRequest) -> RotateResult:
    """``mpesa-agent rotate``: start, resume or abandon a rotation (or rotate site credentials). See
    ``agent.workflows.rotation`` for the steps, the strategies and what each failure leaves behind."""
    recorder = RecordingReporter(ctx.reporter)
    ctx = ctx.replace(reporter=recorder)
    if request.site_credentials:
        return rotate_site_credentials(ctx, request)
    check_request(request)
    threshold = parse_age(request.if_older_than) if request.if_older_than is not None else None
    target = load_target(ctx, request.profile, request.portal_url)
    journal = ctx.journal(f"rotate-{target.short_code}")
    with ctx.lock(target.short_code, "rotate"), journal.lock():
        start = start_record(journal)
        if request.abandon:
            return abandon(ctx, target, start, journal)
        if start is not None and not request.resume:
            raise conflict(start, journal)
        resumed = start is not None
        if start is None:
            if request.resume and threshold is None:
                return RotateResult(target.short_code, "nothing", "No rotation is in flight; nothing to resume.")
            begun = _begin(ctx, request, target, journal, threshold)
            if isinstance(begun, RotateResult):
                return begun
            start = begun
        else:
            check_resume_request(request, start)
            journal.record("rotate", "note", resumed=True)
            recorder.info(explain(start, journal) + " Resuming.")
        result = _run(ctx, target, start, journal)
    result.action = "resumed" if resumed else "rotated"
    result.steps = recorder.as_list()
    return result


STRATEGY_CLASSES: dict[str, type[Rotation]] = {"single": SingleRotation, "alternating": AlternatingRotation}


def _run(ctx: Context, target: Target, start: dict[str, Any], journal: Journal) -> RotateResult:
    cls = WebRotation if start["operator"] == "web" else STRATEGY_CLASSES[str(start["strategy"])]
    try:
        with contextlib.ExitStack() as stack:
            return cls(ctx, target, start, journal, stack).run()
    except AgentError as exc:
        if touched(journal):
            raise
        # Nothing was submitted to the portal or the shop (a login failed, the portal offers no Change Password,
        # a person did not answer...): end the rotation rather than leave one in flight that only blocks.
        end_untouched(target, start, journal, ctx.vault, type(exc).__name__)
        exc.message += " Nothing was changed; the rotation was ended, so it can simply be run again."
        raise


def _begin(
    ctx: Context, request: RotateRequest, target: Target, journal: Journal, threshold: int | None
) -> dict[str, Any] | RotateResult:
    """A new rotation's start record (journalled), or the result when it is not due."""
    kind = request.operator or "api"
    strategy = "single" if kind == "web" else (request.strategy or DEFAULT_STRATEGY)
    username = target.plan.web.username if kind == "web" else target.plan.api.username
    ref = target.web_ref if kind == "web" else target.api_ref(username)
    info = ctx.vault.info(ref)
    if "pending" in info:
        raise ConflictError(
            f"The vault holds a pending password for {username} ({info['pending'].note or 'no note'}): "
            "another change of it is unfinished.",
            hint="Finish it first (re-run the command that started it, e.g. mpesa-agent setup).",
        )
    if "current" not in info:
        ctx.vault.require(ref)  # raises: there is nothing to rotate from
    if threshold is not None:
        age = next((a for a in profile_ages(ctx, target.profile) if a.kind == kind), None)
        if age is not None and not age.due(threshold):
            return RotateResult(
                target.short_code,
                "skipped",
                f"The {kind} operator {username}'s password is {age.age_days} days old (less than "
                f"{threshold}); nothing to do. It expires in {age.expires_in_days} days.",
                operator=kind,
                strategy=strategy,
                old_username=username,
                username=username,
                password_age=age.as_dict(),
            )
    targets = _preflight(ctx, username) if kind == "api" else []
    start = {
        "rotation": uuid.uuid4().hex[:10],
        "operator": kind,
        "strategy": strategy,
        "username": username,
        "sites": targets,
        "profile_key": target.profile_key,
    }
    journal.record("rotate", "start", **start)
    from agent.journal import checkpoint

    checkpoint("rotate:started")
    return start


def _preflight(ctx: Context, username: str) -> list[str]:
    """Read every linked site before the portal is touched: which plugins use ``username`` (the push targets).
    A site that cannot be read stops the rotation here, with nothing changed."""
    reporter = ctx.reporter
    targets: list[str] = []
    reporter.start("preflight", "Read the linked sites' M-PESA plugins")
    others: list[str] = []
    for url in sorted(ctx.config.sites):
        try:
            user, _secret = site_values(ctx, url)
        except AgentError as exc:
            reporter.finish("preflight", "failed", f"{url}: {exc.message}")
            raise like(
                exc,
                f"{url} could not be read ({exc.message}); the rotation was not started and nothing was changed.",
                exc.hint or "Fix the site (or unlink it: mpesa-agent unlink-site URL), then rotate again.",
            ) from None
        if user == username:
            targets.append(url)
        else:
            others.append(f"{url} uses {user or 'no initiator'}")
    detail = f"{len(targets)} site(s) use {username}" + (f"; not changed: {'; '.join(others)}" if others else "")
    reporter.finish("preflight", "ok", detail)
    return targets


def rotate_site_credentials(ctx: Context, request: RotateRequest) -> RotateResult:
    """``rotate --site-credentials``: a new application password for each linked site (or ``request.site``)."""
    from agent.workflows import sites

    reporter = ctx.reporter
    urls = [request.site] if request.site else sorted(ctx.config.sites)
    if not urls:
        raise UsageError("No site is linked yet.", hint="Link your shop first: mpesa-agent link-site https://your.shop")
    done: list[dict[str, Any]] = []
    first_error: AgentError | None = None
    for url in urls:
        key = f"site-credentials:{url}"
        reporter.start(key, f"Replace the application password of {url}")
        try:
            rotated = sites.rotate_site_credentials(ctx, url)
        except AgentError as exc:
            reporter.finish(key, "failed", exc.message)
            done.append({"url": url, "ok": False, "problem": exc.message, "hint": exc.hint})
            first_error = first_error or exc
            continue
        reporter.finish(key, "ok", rotated.note or ("old one revoked" if rotated.old_revoked else "old one kept"))
        done.append({"url": url, "ok": True, **rotated.to_dict()})
    steps = reporter.as_list() if isinstance(reporter, RecordingReporter) else []
    profile = request.profile or ctx.config.default_profile_name() or ""
    if first_error is not None and len(urls) == 1:
        raise first_error
    if first_error is not None:
        failed = [d["url"] for d in done if not d["ok"]]
        raise like(first_error, f"The application password of {', '.join(failed)} was not replaced.", "See above.")
    return RotateResult(
        profile,
        "site-credentials",
        f"Replaced the application password of {len(done)} site(s).",
        steps=steps,
        site_rotations=done,
    )
