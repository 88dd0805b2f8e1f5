"""agent.workflows.sites against the sandbox shop (loopback) with an in-memory vault: link, unlink, list, push,
rollback and application-password rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agent import settings
from agent.errors import AuthError, ConflictError, ExitStatus, SiteError, UsageError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import sites
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
def profile(vault: Vault) -> str:
    cfg = settings.load_config()
    cfg.data["default_profile"] = "600000"
    cfg.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    cfg.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret(OPERATOR_PASSWORD))
    return "600000"


def link(shop: SandboxShopServer, vault: Vault, **kwargs: object) -> sites.LinkResult:
    return sites.link_site(shop.url, "shopadmin", Secret(shop.app_password()), vault=vault, **kwargs)  # type: ignore[arg-type]


def test_prepare_link_gives_the_authorize_url(shop: SandboxShopServer) -> None:
    prep = sites.prepare_link(shop.url)
    assert prep.url == shop.url
    assert prep.site["woocommerce"] is True
    assert prep.authorize_url is not None
    assert prep.authorize_url.startswith(shop.url + "/wp-admin/authorize-application.php?app_name=mpesa-agent+%28")
    assert "success_url" not in prep.authorize_url
    assert not prep.already_linked


def test_link_stores_secret_in_vault_and_link_in_config(shop: SandboxShopServer, vault: Vault) -> None:
    reporter = RecordingReporter()
    password = shop.app_password(name="linking")
    result = sites.link_site(shop.url + "/", "shopadmin", password, vault=vault, reporter=reporter)
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


def test_relinking_needs_force(shop: SandboxShopServer, vault: Vault) -> None:
    link(shop, vault)
    with pytest.raises(ConflictError) as caught:
        link(shop, vault)
    assert "--force" in (caught.value.hint or "")
    again = link(shop, vault, force=True)
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
    shop: SandboxShopServer, vault: Vault, user: str, password_of: str | None, exc_type: type[Exception]
) -> None:
    password = shop.app_password(password_of) if password_of else "x" * 24
    with pytest.raises(exc_type):
        sites.link_site(shop.url, user, password, vault=vault)
    assert vault.get(sites.app_password_ref(shop.url)) is None
    assert settings.load_config().sites == {}


def test_link_refuses_an_unsupported_plugin(shop: SandboxShopServer, vault: Vault) -> None:
    shop.sim("POST", "settings", {"plugin": "davisonpro"})
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        link(shop, vault)
    assert "Davisonpro" in caught.value.message
    assert vault.get(sites.app_password_ref(shop.url)) is None


def test_link_without_app_passwords_or_woocommerce(shop: SandboxShopServer, vault: Vault) -> None:
    password = shop.app_password()
    shop.sim("POST", "settings", {"woocommerce_active": False})
    with pytest.raises(errors.WooCommerceMissingError):
        sites.link_site(shop.url, "shopadmin", password, vault=vault)
    shop.sim("POST", "settings", {"woocommerce_active": True, "environment_type": "production"})
    with pytest.raises(errors.AppPasswordsUnavailableError) as caught:
        sites.link_site(shop.url, "shopadmin", password, vault=vault)
    assert "HTTPS" in (caught.value.hint or "")


def test_link_on_plain_permalinks(shop: SandboxShopServer, vault: Vault) -> None:
    shop.sim("POST", "settings", {"permalinks": "plain"})
    result = link(shop, vault)
    assert result.link.url_style == "query"
    assert "rest_route=" in result.link.api_root


def test_push_stores_the_snapshot_and_verifies(shop: SandboxShopServer, vault: Vault, profile: str) -> None:
    link(shop, vault)
    dry = sites.push(profile, dry_run=True, vault=vault)
    assert dry.sites[0].result is not None
    assert dry.sites[0].result["applied"] is False
    assert vault.get(sites.snapshot_ref(shop.url)) is None
    assert OPERATOR_PASSWORD not in json.dumps(dry.to_dict())
    report = sites.push(vault=vault)
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
    restored = sites.rollback_push(shop.url, vault=vault)
    assert restored["verified"]
    assert shop.sim("GET", "gateway/mpesa")["values"]["initiator"] == "test"


def test_push_refuses_a_password_the_rest_path_would_mangle(
    shop: SandboxShopServer, vault: Vault, profile: str
) -> None:
    link(shop, vault)
    vault.set_current(CredentialRef(profile, "api-operator", OPERATOR), Secret("Kx7&mQ2<vL9"))
    with pytest.raises(errors.UnsafeValueError):
        sites.push(vault=vault)
    assert shop.sim("GET", "gateway/mpesa")["saved"] is False


def test_push_errors_keep_their_kind(shop: SandboxShopServer, vault: Vault, profile: str) -> None:
    link(shop, vault)
    vault.set_current(sites.app_password_ref(shop.url), Secret("x" * 24))
    with pytest.raises(AuthError):
        sites.push(site=shop.url, vault=vault)


def test_push_to_several_sites_reports_each(shop: SandboxShopServer, vault: Vault, profile: str) -> None:
    link(shop, vault)
    other = SandboxShopServer()
    try:
        link(other, vault)
        other.sim("POST", "settings", {"plugin": "none"})
        with pytest.raises(sites.PushFailedError) as caught:
            sites.push(vault=vault)
        exc = caught.value
        assert exc.exit_status == ExitStatus.SITE
        assert {o.url: o.ok for o in exc.report.sites} == {shop.url: True, other.url: False}
        assert other.url in exc.message
    finally:
        other.stop()


def test_push_needs_a_profile_and_a_site(vault: Vault) -> None:
    with pytest.raises(UsageError):
        sites.push(vault=vault)


def test_list_sites_health(shop: SandboxShopServer, vault: Vault) -> None:
    link(shop, vault)
    statuses = sites.list_sites(vault=vault)
    assert [(s.link.url, s.ok) for s in statuses] == [(shop.url, True)]
    assert statuses[0].last_used
    assert sites.list_sites(check=False, vault=vault)[0].checked is False
    shop.sim("POST", "fault", {"kind": "strip_authorization"})
    broken = sites.list_sites(vault=vault)[0]
    assert not broken.ok
    assert broken.hint is not None
    assert "Authorization" in broken.hint


def test_rotate_site_credentials(shop: SandboxShopServer, vault: Vault) -> None:
    first = link(shop, vault)
    old_secret = vault.require(sites.app_password_ref(shop.url)).reveal()
    result = sites.rotate_site_credentials(shop.url, vault=vault)
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
    assert sites.list_sites(vault=vault)[0].ok


def test_unlink_with_revoke(shop: SandboxShopServer, vault: Vault) -> None:
    linked = link(shop, vault)
    result = sites.unlink_site(shop.url, revoke=True, vault=vault)
    assert result.revoked
    assert vault.get(sites.app_password_ref(shop.url)) is None
    assert settings.load_config().sites == {}
    uuids = [p["uuid"] for p in shop.sim("GET", "state")["users"][0]["app_passwords"]]
    assert linked.link.app_uuid not in uuids
    with pytest.raises(UsageError):
        sites.unlink_site(shop.url, vault=vault)


def test_unlink_revoke_failure_forgets_nothing(shop: SandboxShopServer, vault: Vault) -> None:
    link(shop, vault)
    shop.sim("POST", "fault", {"kind": "waf_challenge"})
    with pytest.raises(errors.FirewallBlockedError):
        sites.unlink_site(shop.url, revoke=True, vault=vault)
    assert vault.get(sites.app_password_ref(shop.url)) is not None
    assert shop.url in settings.load_config().sites
    assert not sites.unlink_site(shop.url, vault=vault).revoked


def test_an_unlinked_site_is_a_usage_error(vault: Vault) -> None:
    with pytest.raises(UsageError):
        sites.rotate_site_credentials("https://nowhere.example", vault=vault)
    with pytest.raises(SiteError):
        raise sites._agent_error(errors.GatewayPluginMissingError("x"))
