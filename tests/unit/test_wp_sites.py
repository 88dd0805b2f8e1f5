"""agent.workflows.sites against the sandbox shop (loopback) with an in-memory vault: link, unlink, list, push,
rollback and application-password rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agent import settings
from agent.context import Context
from agent.errors import AlreadyExistsError, AuthError, ExitStatus, SiteError, UsageError, VerificationError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import sites
from agent.workflows.edge import from_wp
from agent.workflows.progress import RecordingReporter
from tests.harness.wordpress import SandboxShopServer
from wp_bridge import errors

pytestmark = pytest.mark.unit

OPERATOR = "mamaapi"
OPERATOR_PASSWORD = "Kx7#mQ2$vL9%"


@pytest.fixture
def shop() -> Iterator[SandboxShopServer]:
    server = SandboxShopServer()
    yield server
    server.stop()


@pytest.fixture
def vault() -> Vault:
    return open_vault("memory")


@pytest.fixture
def ctx(vault: Vault) -> Context:
    return Context.build(vault=vault)


@pytest.fixture
def profile(ctx: Context, vault: Vault) -> str:
    ctx.config.set_default_profile("600000")
    ctx.config.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    ctx.config.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret(OPERATOR_PASSWORD))
    return "600000"


def link(ctx: Context, shop: SandboxShopServer, **kwargs: object) -> sites.LinkResult:
    return sites.link_site(ctx, shop.url, "shopadmin", Secret(shop.app_password()), **kwargs)  # type: ignore[arg-type]


def cause(exc: BaseException) -> BaseException | None:
    """The wp_bridge error an agent error was translated from (``agent.workflows.edge``)."""
    return exc.__cause__


def test_prepare_link_gives_the_authorize_url(ctx: Context, shop: SandboxShopServer) -> None:
    prep = sites.prepare_link(ctx, shop.url)
    assert prep.url == shop.url
    assert prep.site["woocommerce"] is True
    assert prep.authorize_url is not None
    assert prep.authorize_url.startswith(shop.url + "/wp-admin/authorize-application.php?app_name=mpesa-agent+%28")
    assert "success_url" not in prep.authorize_url
    assert not prep.already_linked


def test_link_stores_secret_in_vault_and_link_in_config(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    reporter = RecordingReporter()
    password = shop.app_password(name="linking")
    result = sites.link_site(ctx.replace(reporter=reporter), shop.url + "/", "shopadmin", password)
    assert result.link.url == shop.url
    assert result.link.plugin == "osen-wc-mpesa"
    assert result.link.app_name == "linking"
    assert result.user["can_manage_woocommerce"] is True
    assert [s["key"] for s in reporter.as_list()] == ["discover", "verify", "plugin", "store"]
    stored = vault.require(sites.app_password_ref(shop.url))
    assert stored.reveal() == password
    cfg_text = settings.paths().config_file.read_text()
    assert password not in cfg_text
    data = settings.load_config().sites[shop.url]
    assert data["username"] == "shopadmin"
    assert data["app_uuid"]
    assert data["url_style"] == "pretty"
    assert password not in json.dumps(result.to_dict())


def test_relinking_needs_force(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    link(ctx, shop)
    with pytest.raises(AlreadyExistsError) as caught:
        link(ctx, shop)
    assert "--force" in (caught.value.hint or "")
    again = link(ctx, shop, force=True)
    assert again.replaced


@pytest.mark.parametrize(
    ("user", "password_of", "exc_type"),
    [
        ("shopadmin", None, errors.WrongPasswordError),
        ("nobody", "shopadmin", errors.UnknownUserError),
        ("clerk", "clerk", errors.MissingCapabilityError),
    ],
)
def test_nothing_is_stored_unless_the_password_works(
    ctx: Context, shop: SandboxShopServer, vault: Vault, user: str, password_of: str | None, exc_type: type[Exception]
) -> None:
    password = shop.app_password(password_of) if password_of else "x" * 24
    with pytest.raises(AuthError) as caught:
        sites.link_site(ctx, shop.url, user, password)
    assert isinstance(cause(caught.value), exc_type)
    assert vault.get(sites.app_password_ref(shop.url)) is None
    assert settings.load_config().sites == {}


def test_link_refuses_an_unsupported_plugin(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    shop.sim("POST", "settings", {"plugin": "davisonpro"})
    with pytest.raises(SiteError) as caught:
        link(ctx, shop)
    assert isinstance(cause(caught.value), errors.UnsupportedPluginError)
    assert caught.value.exit_status == ExitStatus.SITE
    assert "Davisonpro" in caught.value.message
    assert vault.get(sites.app_password_ref(shop.url)) is None


def test_link_without_app_passwords_or_woocommerce(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    password = shop.app_password()
    shop.sim("POST", "settings", {"woocommerce_active": False})
    with pytest.raises(SiteError) as missing:
        sites.link_site(ctx, shop.url, "shopadmin", password)
    assert isinstance(cause(missing.value), errors.WooCommerceMissingError)
    shop.sim("POST", "settings", {"woocommerce_active": True, "environment_type": "production"})
    with pytest.raises(AuthError) as caught:  # the agent cannot sign in: an authentication problem (exit 4)
        sites.link_site(ctx, shop.url, "shopadmin", password)
    assert isinstance(cause(caught.value), errors.AppPasswordsUnavailableError)
    assert "HTTPS" in (caught.value.hint or "")


def test_link_on_plain_permalinks(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    shop.sim("POST", "settings", {"permalinks": "plain"})
    result = link(ctx, shop)
    assert result.link.url_style == "query"
    assert "rest_route=" in result.link.api_root


def test_push_stores_the_snapshot_and_verifies(
    ctx: Context, shop: SandboxShopServer, vault: Vault, profile: str
) -> None:
    link(ctx, shop)
    dry = sites.push(ctx, profile, dry_run=True)
    assert dry.sites[0].result is not None
    assert dry.sites[0].result["applied"] is False
    assert vault.get(sites.snapshot_ref(shop.url)) is None
    assert OPERATOR_PASSWORD not in json.dumps(dry.to_dict())
    report = sites.push(ctx)
    outcome = report.sites[0]
    assert outcome.ok
    assert outcome.result is not None
    assert outcome.result["verified"]
    assert outcome.result["requests"] == 3
    stored = shop.sim("GET", "gateway/mpesa")["values"]
    assert (stored["initiator"], stored["password"]) == (OPERATOR, OPERATOR_PASSWORD)
    snapshot = json.loads(vault.require(sites.snapshot_ref(shop.url)).reveal())
    assert snapshot["values"]["initiator"] == "test"
    assert snapshot["changed_keys"] == ["initiator", "password"]
    assert OPERATOR_PASSWORD not in json.dumps(report.to_dict())
    restored = sites.rollback_push(ctx, shop.url)
    assert restored["verified"]
    assert shop.sim("GET", "gateway/mpesa")["values"]["initiator"] == "test"


def test_push_refuses_a_password_the_rest_path_would_mangle(
    ctx: Context, shop: SandboxShopServer, vault: Vault, profile: str
) -> None:
    link(ctx, shop)
    vault.set_current(CredentialRef(profile, "api-operator", OPERATOR), Secret("Kx7&mQ2<vL9"))
    with pytest.raises(SiteError) as caught:
        sites.push(ctx)
    assert isinstance(cause(caught.value), errors.UnsafeValueError)
    assert shop.sim("GET", "gateway/mpesa")["saved"] is False


def test_push_errors_keep_their_kind(ctx: Context, shop: SandboxShopServer, vault: Vault, profile: str) -> None:
    link(ctx, shop)
    vault.set_current(sites.app_password_ref(shop.url), Secret("x" * 24))
    with pytest.raises(AuthError):
        sites.push(ctx, site=shop.url)


def test_push_to_several_sites_reports_each(ctx: Context, shop: SandboxShopServer, vault: Vault, profile: str) -> None:
    link(ctx, shop)
    other = SandboxShopServer()
    try:
        link(ctx, other)
        other.sim("POST", "settings", {"plugin": "none"})
        report = sites.push(ctx)
        assert not report.ok
        assert report.exit_status == ExitStatus.SITE
        assert {o.url: o.ok for o in report.sites} == {shop.url: True, other.url: False}
        assert other.url in report.message
        assert report.to_dict()["exit_status"] == int(ExitStatus.SITE)
    finally:
        other.stop()


def test_push_needs_a_profile_and_a_site(ctx: Context, vault: Vault) -> None:
    with pytest.raises(UsageError):
        sites.push(ctx)


def test_list_sites_health(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    link(ctx, shop)
    statuses = sites.list_sites(ctx)
    assert [(s.link.url, s.ok) for s in statuses] == [(shop.url, True)]
    assert statuses[0].last_used
    assert sites.list_sites(ctx, check=False)[0].checked is False
    shop.sim("POST", "fault", {"kind": "strip_authorization"})
    broken = sites.list_sites(ctx)[0]
    assert not broken.ok
    assert broken.hint is not None
    assert "Authorization" in broken.hint


def test_rotate_site_credentials(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    first = link(ctx, shop)
    old_secret = vault.require(sites.app_password_ref(shop.url)).reveal()
    result = sites.rotate_site_credentials(ctx, shop.url)
    assert result.old_uuid == first.link.app_uuid
    assert result.new_uuid != result.old_uuid
    assert result.old_revoked
    assert result.new_name.startswith("mpesa-agent (")
    new_secret = vault.require(sites.app_password_ref(shop.url)).reveal()
    assert new_secret != old_secret
    assert vault.get(sites.app_password_ref(shop.url), "previous") is not None
    assert settings.load_config().sites[shop.url]["app_uuid"] == result.new_uuid
    uuids = [p["uuid"] for p in shop.sim("GET", "state")["users"][0]["app_passwords"]]
    assert result.new_uuid in uuids
    assert result.old_uuid not in uuids
    assert sites.list_sites(ctx)[0].ok


def test_unlink_with_revoke(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    linked = link(ctx, shop)
    result = sites.unlink_site(ctx, shop.url, revoke=True)
    assert result.revoked
    assert vault.get(sites.app_password_ref(shop.url)) is None
    assert settings.load_config().sites == {}
    uuids = [p["uuid"] for p in shop.sim("GET", "state")["users"][0]["app_passwords"]]
    assert linked.link.app_uuid not in uuids
    with pytest.raises(UsageError):
        sites.unlink_site(ctx, shop.url)


def test_unlink_revoke_failure_forgets_nothing(ctx: Context, shop: SandboxShopServer, vault: Vault) -> None:
    link(ctx, shop)
    shop.sim("POST", "fault", {"kind": "waf_challenge"})
    with pytest.raises(SiteError) as caught:
        sites.unlink_site(ctx, shop.url, revoke=True)
    assert isinstance(cause(caught.value), errors.FirewallBlockedError)
    assert vault.get(sites.app_password_ref(shop.url)) is not None
    assert shop.url in settings.load_config().sites
    assert not sites.unlink_site(ctx, shop.url).revoked


def test_an_unlinked_site_is_a_usage_error(ctx: Context, vault: Vault) -> None:
    with pytest.raises(UsageError):
        sites.rotate_site_credentials(ctx, "https://nowhere.example")
    assert isinstance(from_wp(errors.GatewayPluginMissingError("x")), SiteError)
    assert isinstance(from_wp(errors.ReadBackMismatchError("x", keys=["k"])), VerificationError)
