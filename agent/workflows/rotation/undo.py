"""Going back: ``rotate --abandon`` (drop a rotation in flight while the credential in use is untouched) and
``mpesa-agent rollback`` (put back the plugin settings saved before the last push, where their password still
works)."""

from __future__ import annotations

from typing import Any

from agent.context import Context
from agent.errors import AgentError, ConflictError
from agent.journal import Journal
from agent.vault import CredentialRef
from agent.workflows.rotation.record import (
    Target,
    detail,
    discard_ours,
    explain,
    name_api_operator,
    ours,
    same,
    snapshot_values,
    start_record,
    submitted,
)
from agent.workflows.rotation.request import RollbackResult, RotateResult


def abandon(ctx: Context, target: Target, start: dict[str, Any] | None, journal: Journal) -> RotateResult:
    """Drop the rotation in flight while the credential in use is untouched (see ``agent.workflows.rotation``)."""
    reporter, vault = ctx.reporter, ctx.vault
    if start is None:
        return RotateResult(target.short_code, "nothing", "No rotation is in flight; nothing to abandon.")
    rid = str(start["rotation"])
    kind, strategy, old = str(start["operator"]), str(start["strategy"]), str(start["username"])
    reporter.start("abandon", "Abandon the rotation in flight")
    if kind == "web" or strategy == "single":
        if submitted(journal, "portal-set"):
            reporter.finish("abandon", "failed", "the portal may already have the new password")
            raise ConflictError(
                explain(start, journal) + " The new password was (or may have been) submitted to the portal, so "
                "the old one may no longer work: abandoning could lose the working credential.",
                hint="Run 'mpesa-agent rotate --resume' to finish it.",
            )
        discard_ours(vault, target.web_ref if kind == "web" else target.api_ref(old), rid)
        message = f"The rotation of {old} was abandoned before the portal was changed; {old} keeps its password."
    else:
        if submitted(journal, "switch"):
            reporter.finish("abandon", "failed", "the plugin was (or may have been) switched")
            raise ConflictError(
                explain(start, journal) + " The shop's plugin was (or may have been) switched to the new operator.",
                hint="Run 'mpesa-agent rotate --resume' to finish (closes the old operator), or 'mpesa-agent "
                "rollback' to put the plugin back on the old one.",
            )
        message = f"The rotation was abandoned; the shop keeps using {old}." + _drop_new_operator(
            ctx, target, journal, rid
        )
    journal.record("rotate", "finish", abandoned=True)
    journal.archive()
    reporter.finish("abandon", "ok", message)
    return RotateResult(
        target.short_code, "abandoned", message, operator=kind, strategy=strategy, old_username=old, username=old
    )


def _drop_new_operator(ctx: Context, target: Target, journal: Journal, rid: str) -> str:
    """An abandoned alternating rotation: keep or forget the new operator's password; what to tell the user."""
    new_name = detail(journal, "alt-name", "username")
    if not new_name:
        return ""
    ref = target.api_ref(str(new_name))
    pending = ctx.vault.info(ref).get("pending")
    if pending is not None and ours(pending.note, rid):
        if submitted(journal, "portal-set"):
            ctx.vault.promote(ref)  # it may be on the portal: keep it as that operator's password
        else:
            ctx.vault.discard_pending(ref)
    if submitted(journal, "alt-create") or journal.is_done("alt-create"):
        return (
            f" The new operator {new_name} may exist on the portal unused; close it there (Change Status → "
            "Closed) if you do not want it."
        )
    return ""


def _restore_site(ctx: Context, url: str, short: str, retired: set[str], dry_run: bool) -> dict[str, Any]:
    """Roll one site back when its snapshot's initiator still works; what happened, for the result."""
    from agent.workflows import sites

    report, vault = ctx.reporter, ctx.vault
    step = f"rollback:{url}"
    report.start(step, f"Put back the previous M-PESA settings of {url}")
    snap = snapshot_values(vault, url)
    if snap is None:
        report.finish(step, "skipped", "no snapshot")
        return {"url": url, "restored": False, "reason": "no snapshot of earlier settings"}
    user, secret = snap
    working = vault.get(CredentialRef(short, "api-operator", user)) if user and short else None
    if not user or user in retired or working is None or not same(secret, working.reveal()):
        reason = (
            f"the snapshot holds {user or 'no initiator'}"
            + (" which is closed" if user in retired else " with a password the portal no longer takes")
            + "; restoring it would break the shop"
        )
        report.finish(step, "skipped", reason)
        return {"url": url, "restored": False, "reason": reason}
    try:
        outcome = sites.rollback_push(ctx, url, dry_run=dry_run)
    except AgentError as exc:
        report.finish(step, "failed", exc.message)
        return {"url": url, "restored": False, "reason": exc.message}
    report.finish(step, "planned" if dry_run else "ok", f"back on {user}")
    return {"url": url, "restored": not dry_run, "planned": dry_run, "username": user, "detail": outcome}


def rollback(
    ctx: Context, profile: str | None = None, site: str | None = None, *, dry_run: bool = False
) -> RollbackResult:
    """``mpesa-agent rollback``: put back each site's plugin settings from before the last push, but only where the
    snapshot's initiator still works: its password is the current one in the vault and the operator was not closed.

    After a ``single`` rotation (or a web rotation) nothing is restored: the previous API password no longer works
    on the portal. During an ``alternating`` rotation whose old operator is not closed yet, the plugin goes back to
    the old operator, the configuration names it again, and the rotation ends (the new operator stays, unused).
    """
    with ctx.lock(profile, "rollback --dry-run" if dry_run else "rollback", shared=dry_run):
        return _rollback(ctx, profile, site, dry_run=dry_run)


def _rollback(ctx: Context, profile: str | None, site: str | None, *, dry_run: bool) -> RollbackResult:
    found = ctx.find_profile(profile)
    key = found.key if found else (profile or "")
    short = found.short_code if found else key
    journal = ctx.journal(f"rotate-{short}") if short else None
    start = start_record(journal) if journal is not None else None
    if start is not None and journal is not None:
        point = "alt-close" if start.get("strategy") == "alternating" else "portal-set"
        if submitted(journal, point):
            raise ConflictError(
                explain(start, journal) + " A rollback now would put a password the portal no longer takes into "
                "the plugin.",
                hint="Run 'mpesa-agent rotate --resume' to finish the rotation instead.",
            )
    urls = [site] if site else sorted(ctx.config.sites)
    retired = set(found.retired_api_usernames) if found else set()
    out = [_restore_site(ctx, url, short, retired, dry_run) for url in urls]
    ended = False
    if any(o.get("restored") for o in out) and start is not None and journal is not None and found is not None:
        name_api_operator(ctx, found.key, str(start["username"]))
        journal.record("rotate", "finish", rolled_back=True)
        journal.archive()
        ended = True
    restored = [o["url"] for o in out if o.get("restored")]
    message = (
        f"Restored the previous plugin settings of {', '.join(restored)}."
        if restored
        else "Nothing was restored." + (" (dry run)" if dry_run else "")
    )
    if ended:
        message += " The rotation in flight was ended; its new operator stays on the portal, unused."
    return RollbackResult(short, dry_run, out, message, rotation_ended=ended)
