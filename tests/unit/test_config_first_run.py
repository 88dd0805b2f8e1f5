"""A first run's configuration: ``config init``'s identity placeholders fail until edited (the message names every
field left), ``setup --dry-run`` shows the identity data it will send (ID number masked) and how many captchas and
SMS it will ask for, and what a successful setup records in the profile (file created when missing, comments
kept)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import tomlkit

from agent import settings
from agent.cli import main
from agent.context import Context
from agent.errors import ExitStatus
from agent.workflows.config import mask_id_number, record_setup
from agent.workflows.plan import build_plan
from tests.portal.conftest import PROFILE

pytestmark = pytest.mark.unit


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_placeholders_fail_until_edited_then_the_dry_run_shows_the_identity(
    capsys: pytest.CaptureFixture[str], agent_home: Path
) -> None:
    assert run(capsys, "config", "init")[0] == 0
    code, _, err = run(capsys, "setup", "--dry-run")
    assert code == ExitStatus.USAGE
    for field in ("web_operator.first_name", "web_operator.id_number", "api_operator.id_number"):
        assert field in err
    path = settings.paths().config_file
    doc = tomlkit.parse(path.read_text())
    profile = doc["profiles"]["600000"]  # type: ignore[index]
    for part in ("web_operator", "api_operator"):
        for key, value in (("first_name", "Achieng"), ("last_name", "Otieno"), ("id_number", "27654321")):
            profile[part][key] = value  # type: ignore[index]
        del profile[part]["email"]  # type: ignore[union-attr]
    path.write_text(tomlkit.dumps(doc))
    code, out, err = run(capsys, "setup", "--dry-run")
    assert code == 0, err
    assert "Achieng Otieno, National ID ******21" in out
    assert "27654321" not in out
    assert "3 captchas and 4 SMS messages" in out
    code, out, _ = run(capsys, "setup", "--dry-run", "--json")
    data = json.loads(out)
    assert data["identity"]["web_operator"]["id_number"] == "******21"
    assert data["asks"] == {"captchas": 3, "sms_codes": 3, "sms_passwords": 1}


def test_masking() -> None:
    assert mask_id_number("12345678") == "******78"
    assert mask_id_number("A123") == "****"


def test_setup_records_its_profile_in_a_file_it_creates(agent_home: Path) -> None:
    ctx = Context.build()
    assert not ctx.config.path.exists()
    plan = build_plan(copy.deepcopy(PROFILE), portal_url="http://127.0.0.1:8765")
    assert record_setup(ctx, plan) == "600000"
    cfg = settings.load_config()
    assert cfg.data["default_profile"] == "600000"
    found = cfg.require_profile(None)
    assert (found.web_username, found.api_username, found.portal_url) == (
        "duka_web",
        "duka_api",
        "http://127.0.0.1:8765",
    )
    assert found.get("api_operator.role_set") == "osen-default"
    assert found.get("web_operator.id_number") == "12345678"  # rotate --strategy alternating needs it


def test_setup_records_into_the_profile_of_that_short_code_keeping_comments(agent_home: Path) -> None:
    ctx = Context.build()
    ctx.config.path.parent.mkdir(parents=True, exist_ok=True)
    ctx.config.path.write_text(
        '# my shop\n[profiles.duka]  # the key differs from the short code\nshort_code = "600000"\n'
    )
    ctx = Context.build()
    plan = build_plan(copy.deepcopy(PROFILE), portal_url="https://org.ke.m-pesa.com")
    assert record_setup(ctx, plan) == "duka"
    text = ctx.config.path.read_text()
    assert "# my shop" in text
    assert "# the key differs from the short code" in text
    assert settings.load_config().require_profile("duka").api_username == "duka_api"
