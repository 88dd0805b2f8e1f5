"""The ``alternating`` strategy: the Business Administrator creates a second API operator (``mamaapi`` →
``mamaapi2``), the web operator sets its password, the shop's plugin is switched to it and read back, and only then
the old one is closed. The configuration names the new operator once the shop uses it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from agent.errors import AgentError, PortalError, VerificationError
from agent.workflows.rotation.base import STARTED, Rotation
from agent.workflows.rotation.record import detail, like, name_api_operator, same, site_values, snapshot_values
from agent.workflows.rotation.request import ACTIVE, CLOSED, PENDING_ACTIVE, RotateResult, next_username
from agent.workflows.steps import StepSpec, Workflow

if TYPE_CHECKING:
    from agent.workflows.plan import OperatorPlan

ALTERNATING = Workflow(
    "rotate-alternating",
    (
        STARTED,
        StepSpec("alt-name", ("rotate:alt:named",)),
        StepSpec("alt-create", ("rotate:alt:after-create", "rotate:alt:created")),
        StepSpec("stage", ("rotate:staged",)),
        StepSpec("portal-set", ("rotate:api:after-set",)),
        StepSpec("promote", ("rotate:promoted",)),
        StepSpec("switch", ("rotate:alt:switching", "rotate:pushed")),
        StepSpec("alt-close", ("rotate:alt:after-close", "rotate:alt:closed")),
        StepSpec("verify", ("rotate:verified",)),
    ),
)


class AlternatingRotation(Rotation):
    workflow = ALTERNATING

    def run(self) -> RotateResult:
        old = self.old
        new_name = self.choose_name()
        self.create(new_name)
        ref = self.target.api_ref(new_name)
        self.stage(ref)
        self.set_api_password(new_name, ref, before=PENDING_ACTIVE)
        self.promote(ref)
        self.switch(old, new_name)
        self.close_old(old, new_name)
        with self.steps.step("verify", "Read back the portal and the plugin") as step:
            self.login_admin()
            fresh = self.find(new_name, self.login_admin)
            gone = self.find(old, self.login_admin)
            if fresh is None or fresh.status != ACTIVE:
                raise VerificationError(f"The new API operator {new_name} is {fresh.status if fresh else 'missing'}.")
            if gone is None or gone.status != CLOSED:
                raise VerificationError(f"The old API operator {old} is {gone.status if gone else 'missing'}.")
            self.verify_sites(new_name, self.vault.require(ref))
            step.done(f"{new_name} Active, {old} Closed; plugin(s) use {new_name}")
        self.steps.checkpoint("rotate:verified")
        self.finish(username=new_name)
        result = self.result(new_name, f"The shop now uses the API operator {new_name}; {old} is closed.")
        result.closed = [old]
        return result

    def choose_name(self) -> str:
        chosen = detail(self.journal, "alt-name", "username")
        if self.journal.is_done("alt-name") and chosen:
            self.steps.skip("alt-name", "Choose the new API operator's user name", str(chosen))
            return str(chosen)
        with self.steps.step("alt-name", "Choose the new API operator's user name") as step:
            self.login_admin()
            retired = {r.lower() for r in self.target.profile.retired_api_usernames}

            def taken(name: str) -> bool:
                return name.lower() in retired or self.find(name, self.login_admin) is not None

            name = next_username(self.old, taken)
            step.done(name, username=name)
        self.steps.checkpoint("rotate:alt:named")
        return name

    def operator_plan(self, username: str, roles: list[str]) -> OperatorPlan:
        return dataclasses.replace(self.plan.api, username=username, roles=tuple(roles or self.plan.api.roles))

    def create(self, username: str) -> None:
        if self.steps.skip_if_done("alt-create", f"Create the API operator {username}", "already created"):
            return
        with self.steps.step("alt-create", f"Create the API operator {username} with {self.old}'s roles") as step:
            self.login_admin()
            row = self.find(username, self.login_admin)
            if row is None:
                template = self.find(self.old, self.login_admin)
                op = self.operator_plan(username, list(template.roles) if template is not None else [])
                step.intent(username=username, roles=list(op.roles))
                try:
                    self.steps.relogin_on_expiry(lambda: self.portal.create_operator(op), self.login_admin)
                except (PortalError, VerificationError):
                    if self.find(username, self.login_admin) is None:
                        raise
                self.steps.checkpoint("rotate:alt:after-create")
                row = self.find(username, self.login_admin)
            if row is None:
                raise VerificationError(
                    f"The portal accepted the new operator {username}, but it is not listed.",
                    hint="Run 'mpesa-agent rotate --resume' in a few minutes; it looks for it before creating it.",
                )
            if row.status not in (PENDING_ACTIVE, ACTIVE):
                raise PortalError(
                    f"The new API operator {username} is {row.status}.",
                    hint="Check it in the portal; 'mpesa-agent rotate --abandon' keeps the shop on " + self.old + ".",
                )
            step.done(f"{username} ({row.status})", username=username, status=row.status)
        self.steps.checkpoint("rotate:alt:created")

    def switch(self, old: str, new_name: str) -> None:
        if self.steps.skip_if_done("switch", f"Switch the shop to {new_name}", "already switched"):
            return
        with self.steps.step("switch", f"Switch the shop's plugin from {old} to {new_name}") as step:
            password = self.vault.require(self.target.api_ref(new_name))
            step.intent(username=new_name)
            self.steps.checkpoint("rotate:alt:switching")
            failures = self.push_all(new_name, password)
            if failures:
                raise self._switch_failed(old, new_name, failures)
            name_api_operator(self.ctx, self.target.profile_key, new_name)
            step.done(f"{len(self.sites)} site(s) use {new_name}", username=new_name)
        self.steps.checkpoint("rotate:pushed")

    def _switch_failed(self, old: str, new_name: str, failures: list[tuple[str, AgentError]]) -> AgentError:
        restored, broken = self.restore_old(old)
        first = failures[0][1]
        if broken:
            kept = (
                f"{', '.join(broken)} could not be put back on {old} (which still works on the portal): "
                "check its M-PESA settings in wp-admin"
            )
        elif restored:
            kept = f"the plugin of {', '.join(restored)} was put back on {old}, which still works"
        else:
            kept = f"the shop still uses {old}, which still works"
        return like(
            first,
            f"{new_name} is ready (Active, its password in the vault), but the plugin of "
            f"{', '.join(u for u, _ in failures)} could not be switched to it: {first.message}; {kept}.",
            f"Fix the site, then run 'mpesa-agent rotate --resume' to switch again (or '--abandon' to stay on {old}).",
        )

    def restore_old(self, old: str) -> tuple[list[str], list[str]]:
        """After a failed switch: give back its snapshot to each site that no longer holds ``old``'s working
        credential (only when the snapshot holds exactly that credential). Returns (restored, still wrong)."""
        from agent.workflows import sites

        working = self.vault.get(self.target.api_ref(old))
        restored: list[str] = []
        broken: list[str] = []
        for url in self.sites:
            try:
                user, secret = site_values(self.ctx, url)
            except AgentError as exc:
                # Unreachable: the failed push did not reach it either (the snapshot is stored before a write).
                self.warnings.append(f"{url}: could not be read after the failed switch ({exc.message}).")
                continue
            if user == old and working is not None and same(secret, working.reveal()):
                continue
            snap = snapshot_values(self.vault, url)
            if snap is None or snap[0] != old or working is None or not same(snap[1], working.reveal()):
                self.warnings.append(f"{url}: no snapshot with {old}'s working password to restore; check the plugin.")
                broken.append(url)
                continue
            try:
                sites.rollback_push(self.ctx, url)
                restored.append(url)
                self.journal.record("switch", "note", restored=url)
            except AgentError as exc:
                self.warnings.append(f"{url}: restoring the previous plugin settings failed ({exc.message}).")
                broken.append(url)
        return restored, broken

    def close_old(self, old: str, new_name: str) -> None:
        if self.steps.skip_if_done("alt-close", f"Close the old API operator {old}", "already closed"):
            return
        with self.steps.step("alt-close", f"Close the old API operator {old} (as {self.plan.admin_username})") as step:
            self.login_admin()
            row = self.find(old, self.login_admin)
            if row is None:
                raise VerificationError(f"The old API operator {old} is not listed any more.")
            if row.status != CLOSED:
                step.intent(username=old)
                reason = f"Replaced by {new_name} (mpesa-agent rotate)"
                try:
                    self.steps.relogin_on_expiry(
                        lambda: self.portal.maintenance.close_operator(old, reason), self.login_admin
                    )
                except PortalError:
                    row = self.find(old, self.login_admin)
                    if row is None or row.status != CLOSED:
                        raise
                self.steps.checkpoint("rotate:alt:after-close")
                row = self.find(old, self.login_admin)
                if row is None or row.status != CLOSED:
                    raise VerificationError(
                        f"After Change Status the old API operator {old} is {row.status if row else 'missing'}.",
                        hint="Run 'mpesa-agent rotate --resume' to close it again.",
                    )
            name_api_operator(self.ctx, self.target.profile_key, new_name, retire=old)
            step.done(f"{old} is Closed", username=old)
        self.steps.checkpoint("rotate:alt:closed")
