"""The prompt, browser, command and combined providers: answers checked as they are typed (asked again at once, with
the reason, a bounded number of times), the captcha shown as "open the image at ..." first, the SMS code echoed and
passwords hidden, and the portal's refusals (``HumanInput.refused``) told to the person or to the helper program.
"""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ExitStatus, NeedsHumanError
from agent.helper_env import ATTEMPT_ENV, RETRY_ENV, helper_environment
from agent.portal.captcha_render import Terminal
from agent.portal.human import (
    LOOKALIKES,
    BrowserInput,
    CombinedInput,
    CommandInput,
    HumanInput,
    PromptInput,
    SmsCredentials,
    captcha_problem,
    make_human,
    make_inputs,
    otp_problem,
    refused_message,
    temporary_password_problem,
)
from agent.sandbox.portal.captcha import render_png
from agent.secret import Secret

pytestmark = pytest.mark.unit

WIDE = Terminal(is_tty=True, columns=120, colour="none", blocks=True)
NARROW = Terminal(is_tty=True, columns=40, colour="none", blocks=True)


class Person:
    """Types the scripted answers, records every question (with whether it was hidden) and every message."""

    def __init__(self, answers: Iterable[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, bool]] = []
        self.said: list[str] = []
        self.log: list[str] = []  # questions and messages in order

    def ask(self, prompt: str, hidden: bool) -> str:
        self.asked.append((prompt, hidden))
        self.log.append(f"? {prompt}")
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)
        self.log.append(f"! {text}")

    def prompt(self, terminal: Terminal = WIDE) -> PromptInput:
        return PromptInput(self.ask, self.say, terminal=lambda: terminal)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPESA_AGENT_HOME", str(tmp_path / "home"))


# --- the captcha -------------------------------------------------------------------------------------------------


def test_the_captcha_says_open_the_image_first_then_draws_it() -> None:
    person = Person(["4092"])
    assert person.prompt().captcha(render_png("4092"), "administrator login").reveal() == "4092"
    first = person.said[0]
    assert first.startswith("Open the image at ")
    assert "administrator login" in first
    path = Path(first.removeprefix("Open the image at ").split(" to read")[0])
    assert path.read_bytes().startswith(b"\x89PNG")
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(person.said[1]) <= set(" ▀▄█\n")
    assert "█" in person.said[1]
    assert person.asked == [("Verification code (4 digits)", False)]  # echoed, like the SMS code


def test_the_captcha_is_not_drawn_when_it_would_not_be_legible_and_the_person_is_told() -> None:
    person = Person(["4092"])
    person.prompt(NARROW).captcha(render_png("4092"), "administrator login")
    assert person.said[0].startswith("Open the image at ")
    assert person.said[1].startswith("(Not drawn here: the terminal is 40 columns wide")
    assert not any("█" in text for text in person.said)


def test_a_broken_drawing_never_stops_the_question() -> None:
    def broken() -> Terminal:
        raise RuntimeError("no terminal size")

    person = Person(["4092"])
    PromptInput(person.ask, person.say, terminal=broken).captcha(render_png("4092"), "login")
    assert person.said[1].startswith("(Not drawn here")


def test_a_wrongly_shaped_captcha_is_asked_again_at_once_with_the_reason() -> None:
    person = Person(["409", "4O92", " 40 92 "])
    assert person.prompt().captcha(render_png("4092"), "login").reveal() == "4092"
    reasons = [text for text in person.said if text.endswith("Type it again.")]
    assert len(reasons) == 2
    assert "has 4 digits; that was 3" in reasons[0]
    assert "digits only (0 not O)" in reasons[1]
    assert len(person.asked) == 3
    assert "digits only (0-9)" in (captcha_problem("40#2") or "")


def test_three_wrongly_shaped_captchas_are_exit_3() -> None:
    person = Person(["abcd", "12", "12345", "4092"])
    with pytest.raises(NeedsHumanError) as caught:
        person.prompt().captcha(render_png("4092"), "login")
    assert caught.value.exit_status == ExitStatus.NEEDS_HUMAN
    assert len(person.asked) == 3  # bounded: the fourth answer is never asked for


def test_closed_input_is_exit_3() -> None:
    with pytest.raises(NeedsHumanError, match="input was closed") as caught:
        Person([]).prompt().captcha(render_png("4092"), "login")
    assert "--codes-from command --codes-command" in (caught.value.hint or "")


# --- the SMS code ------------------------------------------------------------------------------------------------


def test_the_sms_code_is_echoed_and_checked_as_typed() -> None:
    person = Person(["4092", "12345a", "123 456"])
    assert person.prompt().otp("administrator login", "2547****678").reveal() == "123456"
    assert person.said[0] == "The portal sent an SMS code to 2547****678 for the administrator login."
    assert all(hidden is False for _, hidden in person.asked)
    assert "The 4-digit code is the picture's" in person.said[1]
    assert "digits only" in person.said[2]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("123456", None),
        ("１２３４５６", None),
        ("", "Nothing was typed."),
        ("12345", "has 6 digits; that was 5"),
        ("1234567", "has 6 digits; that was 7"),
        ("12345S", "5 not S"),
        ("12345!", "digits only (0-9)"),
    ],
)
def test_otp_problem(answer: str, problem: str | None) -> None:
    from agent.portal.human import normalise_code

    found = otp_problem(normalise_code(answer))
    assert (found is None) if problem is None else (problem in (found or ""))


def test_captcha_problem() -> None:
    assert captcha_problem("4092") is None
    assert "has 4 digits" in (captcha_problem("40921") or "")
    assert "1 not l" in (captcha_problem("40l2") or "")


# --- the web operator's SMS --------------------------------------------------------------------------------------


def test_sms_credentials_default_user_and_hidden_password() -> None:
    person = Person(["", "Tmp#Pass99"])
    creds = person.prompt().sms_credentials("first login", "254712345678", "duka_web")
    assert creds == SmsCredentials("duka_web", Secret("Tmp#Pass99"))
    assert creds.password.reveal() == "Tmp#Pass99"
    assert [hidden for _, hidden in person.asked] == [False, True]
    assert "case-sensitive" in person.asked[1][0]


def test_a_temporary_password_that_breaks_the_portal_rules_is_asked_again_with_the_reason() -> None:
    person = Person(["", "tmppass99", "Tmp#Pass99"])
    creds = person.prompt().sms_credentials("first login", "254712345678", "duka_web")
    assert creds.password.reveal() == "Tmp#Pass99"
    reason = next(text for text in person.said if "not a password the portal would have sent" in text)
    assert "capital letter" in reason
    assert "tmppass99" not in "".join(person.said)  # the typed value is never repeated


def test_the_same_odd_password_typed_twice_is_used_as_typed() -> None:
    # The portal chose the password, so it is the judge: a person who reads the same thing twice is believed.
    person = Person(["", "Tmp(Pass)99", "Tmp(Pass)99"])
    assert person.prompt().sms_credentials("first login", "2547", "duka_web").password.reveal() == "Tmp(Pass)99"


def test_three_different_bad_passwords_are_exit_3() -> None:
    person = Person(["", "short", "", "alllowercase1#"])
    with pytest.raises(NeedsHumanError, match="No temporary password after 3 tries"):
        person.prompt().sms_credentials("first login", "2547", "duka_web")


def test_a_different_user_name_is_questioned_once_then_believed() -> None:
    person = Person(["duka_wbe", "", "Tmp#Pass99"])
    assert person.prompt().sms_credentials("first login", "2547", "duka_web").username == "duka_web"
    assert any("Press Enter for duka_web" in text for text in person.said)
    person = Person(["other_web", "other_web", "Tmp#Pass99"])
    assert person.prompt().sms_credentials("first login", "2547", "duka_web").username == "other_web"
    person = Person(["DUKA_WEB", "Tmp#Pass99"])  # user names are not case-sensitive
    assert person.prompt().sms_credentials("first login", "2547", "duka_web").username == "DUKA_WEB"


def test_temporary_password_problem() -> None:
    assert temporary_password_problem("Tmp#Pass99") is None
    assert temporary_password_problem("Tmp&Pass99") is None  # '&' counts on the portal (no REST path here)
    assert "8 to 16" in (temporary_password_problem("T#p9") or "")
    assert temporary_password_problem("") == "Nothing was typed."


# --- refusals ----------------------------------------------------------------------------------------------------


def test_a_refused_captcha_is_told_and_the_next_picture_is_the_new_one() -> None:
    person = Person(["1111", "4092"])
    human = person.prompt()
    human.captcha(render_png("1111"), "login")
    human.refused("captcha", 1)
    human.captcha(render_png("4092"), "login")
    notice = "The portal refused the verification code (try 1); a new picture is coming."
    assert notice in person.said
    after = person.said[person.said.index(notice) + 1]
    assert after.startswith("Open the image at ")
    assert "the new verification code" in after


def test_a_refused_sms_code_says_a_new_one_is_coming_and_does_not_repeat_the_first_notice() -> None:
    person = Person(["111111", "222222"])
    human = person.prompt()
    human.otp("login", "254712345678")
    human.refused("otp", 1, phone_hint="254712345678")
    human.otp("login", "254712345678")
    assert person.log == [
        "! The portal sent an SMS code to 254712345678 for the login.",
        "? SMS code (6 digits)",
        "! The portal refused the SMS code (try 1); it is sending a new one to 2547*****678.",
        "? New SMS code (6 digits)",
    ]


def test_a_refused_sms_code_without_a_resend() -> None:
    text = refused_message("otp", 2, resent=False)
    assert "newest SMS" in text
    assert "sending a new one" not in text


def test_a_refused_temporary_password_points_at_look_alikes_and_asks_only_the_password_again() -> None:
    person = Person(["", "Tmp#Pa55rn9", "Tmp#PaSSm9"])
    human = person.prompt()
    assert human.sms_credentials("first login", "2547", "duka_web").password.reveal() == "Tmp#Pa55rn9"
    human.refused("sms_password", 1)
    again = human.sms_credentials("first login", "2547", "duka_web")
    assert again == SmsCredentials("duka_web", Secret("Tmp#PaSSm9"))
    notice = person.said[-1]
    assert "case-sensitive" in notice
    for pair in ("0/O", "1/l/I", "5/S", "8/B", "rn/m"):
        assert pair in notice
        assert pair in LOOKALIKES
    assert person.asked[-1] == ("Temporary password again, exactly as in the SMS (hidden, case-sensitive)", True)
    assert len(person.asked) == 3  # the user name was not asked again


def test_the_browser_provider_says_where_to_type_after_a_refusal() -> None:
    person = Person([])
    human = BrowserInput(person.ask, person.say)
    human.refused("captcha", 1)
    human.refused("otp", 2, phone_hint="2547****678")
    assert person.said[0].endswith("Type the new verification code in the browser window.")
    assert "sending a new one to 2547****678" in person.said[1]
    assert person.said[1].endswith("Type the new SMS code in the browser window.")


class Recorder(HumanInput):
    """A provider that records refusals, for checking where CombinedInput sends them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.refusals: list[tuple[str, int, str, bool]] = []

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        return Secret("4092")

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        return Secret("123456")

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        return SmsCredentials(username, Secret("Tmp#Pass99"))

    def refused(self, kind: Any, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        self.refusals.append((kind, attempt, phone_hint, resent))


def test_combined_input_sends_each_refusal_to_the_provider_that_answered() -> None:
    captcha, sms = Recorder("a"), Recorder("b")
    combined = CombinedInput(captcha, sms)
    combined.refused("captcha", 1)
    combined.refused("otp", 2, phone_hint="2547****678", resent=False)
    combined.refused("sms_password", 1)
    assert captcha.refusals == [("captcha", 1, "", True)]
    assert sms.refusals == [("otp", 2, "2547****678", False), ("sms_password", 1, "", True)]


def test_the_default_refused_only_logs(caplog: pytest.LogCaptureFixture) -> None:
    class Quiet(Recorder):
        refused = HumanInput.refused  # type: ignore[assignment]

    with caplog.at_level("INFO", logger="agent.portal.human"):
        Quiet("q").refused("otp", 1, phone_hint="254712345678")
    assert "sending a new one to 2547*****678" in caplog.text


def test_make_inputs_passes_say_to_the_command_provider() -> None:
    person = Person([])
    human = make_inputs(
        "prompt",
        "command",
        portal_url="https://org.ke.m-pesa.com",
        otp_command=[sys.executable, "-c", "pass"],
        ask=person.ask,
        say=person.say,
    )
    human.refused("otp", 1)
    assert person.said == [
        "The portal refused the SMS code (try 1); it is sending a new one. The code command is asked again "
        "(MPESA_AGENT_RETRY=1)."
    ]


# --- the command provider's retry variable -----------------------------------------------------------------------

DUMP = """
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as fh:
    fh.write(json.dumps({k: v for k, v in os.environ.items() if k.startswith("MPESA_AGENT_")}) + "\\n")
want = os.environ["MPESA_AGENT_WANT"]
print({"otp": "Your code is 123456.", "captcha": "4321", "sms": "Username: duka_web Password: Tmp#Pass99"}[want])
"""


def test_the_command_gets_mpesa_agent_retry_only_on_the_run_after_a_refusal(tmp_path: Path) -> None:
    script, out = tmp_path / "helper.py", tmp_path / "env.jsonl"
    script.write_text(DUMP, encoding="utf-8")
    human = make_human(
        "command", portal_url="https://org.ke.m-pesa.com", command=[sys.executable, str(script), str(out)]
    )
    assert isinstance(human, CommandInput)
    human.otp("login", "254712345678")
    human.refused("otp", 1, phone_hint="254712345678")
    human.refused("captcha", 1)
    human.otp("login", "254712345678")
    human.otp("login", "254712345678")
    human.captcha(render_png("4321"), "login")
    human.refused("sms_password", 2)
    human.sms_credentials("first login", "254712345678", "duka_web")
    runs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["MPESA_AGENT_WANT"], r.get(RETRY_ENV), r.get(ATTEMPT_ENV)) for r in runs] == [
        ("otp", None, None),
        ("otp", "1", "2"),
        ("otp", None, None),
        ("captcha", "1", "2"),
        ("sms", "1", "3"),
    ]


def test_helper_environment_retry_variables() -> None:
    env = helper_environment("otp", refused=2, environ={})
    assert env[RETRY_ENV] == "1"
    assert env[ATTEMPT_ENV] == "3"
    assert RETRY_ENV not in helper_environment("otp", environ={})
