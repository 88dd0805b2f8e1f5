"""Readable pages for a person trying the sandbox by hand: the sandbox portal's SMS inbox and its captcha code.

Served by the shop app under ``/sandbox/`` only in ``test``/``demo`` mode and only when it was given the portal's URL
(``create_app(..., portal_url=...)``, as ``runner.start`` does). They read the portal's ``/__sim/`` control surface
through ``SandboxControl`` and refresh themselves (meta refresh), so a person can keep them open next to the terminal:

``GET /sandbox/sms``       every SMS (and e-mail) the portal sent, newest first: login codes, new operators' passwords
                           (rows ``tr.sms[data-id][data-kind]``, the text in ``.text``; ``#no-sms`` when none)
``GET /sandbox/captcha``   the 4-digit code the portal's newest captcha image shows in ``#captcha-code`` (or
                           ``#no-captcha`` and how to get one)
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, render_template_string
from flask.typing import ResponseReturnValue

from agent.sandbox.portal.client import SandboxControl, SandboxControlError
from agent.sandbox.shop.app import shop
from agent.sandbox.shop.pages import page

blueprint = Blueprint("shop_sandbox_inbox", __name__, url_prefix="/sandbox")
REFRESH_SECONDS = 3
SHOWN = 50  # newest messages per outbox
_TIMEOUT = 5.0

_NAV = """<nav><a href="/sandbox/sms">SMS inbox</a><a href="/sandbox/captcha">Captcha code</a>
<a href="{{ portal }}/orglogin.action">Portal login</a></nav>"""


def _portal() -> str:
    url = shop().portal_url
    assert url is not None  # the blueprint is registered only with a portal URL
    return url


def _unreachable(title: str, exc: SandboxControlError) -> ResponseReturnValue:
    body = render_template_string(
        "<h1>{{ title }}</h1>" + _NAV + '<div class="notice error">The sandbox portal did not answer ({{ error }}). '
        "Is <code>mpesa-agent sandbox</code> still running?</div>",
        title=title,
        portal=_portal(),
        error=str(exc),
    )
    return page(title, body, state=shop().state, status=503, refresh=REFRESH_SECONDS)


@blueprint.get("/")
def index() -> ResponseReturnValue:
    return sms()


@blueprint.get("/sms")
def sms() -> ResponseReturnValue:
    """The portal's SMS (and e-mail) outbox, newest first, refreshing every few seconds."""
    control = SandboxControl(_portal(), timeout=_TIMEOUT)
    try:
        texts: list[dict[str, Any]] = control.sms()[-SHOWN:][::-1]
        mails: list[dict[str, Any]] = control.email()[-SHOWN:][::-1]
    except SandboxControlError as exc:
        return _unreachable("SMS inbox", exc)
    finally:
        control.close()
    body = render_template_string(
        "<h1>SMS inbox</h1>"
        + _NAV
        + """<p>Everything the sandbox portal sent, newest first: the login code (OTP) for each portal login and the
user name and temporary password of each new web operator. This page refreshes every {{ refresh }} seconds.</p>
{% if not texts %}<p id="no-sms">No SMS yet. Log in to the portal (or run <code>mpesa-agent setup</code>) and the login
code appears here.</p>{% endif %}<table id="sms"><thead><tr><th>#</th><th>Sent</th><th>To</th><th>Message</th></tr>
</thead><tbody>{% for m in texts %}<tr class="sms" data-id="{{ m.id }}" data-kind="{{ m.kind }}"><td>{{ m.id }}</td>
<td>{{ m.ts }}</td><td>{{ m.msisdn }}</td><td><strong class="text">{{ m.text }}</strong></td></tr>{% endfor %}</tbody>
</table>{% if mails %}<h2>E-mail</h2><table id="email"><thead><tr><th>#</th><th>Sent</th><th>To</th><th>Message</th>
</tr></thead><tbody>{% for m in mails %}<tr class="email" data-id="{{ m.id }}"><td>{{ m.id }}</td><td>{{ m.ts }}</td>
<td>{{ m.email }}</td><td><strong class="text">{{ m.text }}</strong></td></tr>{% endfor %}</tbody></table>
{% endif %}""",
        portal=_portal(),
        refresh=REFRESH_SECONDS,
        texts=texts,
        mails=mails,
    )
    return page("SMS inbox", body, state=shop().state, refresh=REFRESH_SECONDS)


@blueprint.get("/captcha")
def captcha() -> ResponseReturnValue:
    """The code the newest captcha image shows, refreshing every few seconds."""
    code: str | None = None
    try:  # 404 means "no code showing", so ask directly rather than through SandboxControl's errors
        answer = requests.get(_portal() + "/__sim/captcha", timeout=_TIMEOUT)
    except requests.RequestException as exc:
        return _unreachable("Captcha code", SandboxControlError(str(exc)))
    if answer.status_code == 200:
        code = str(answer.json()["code"])
    elif answer.status_code != 404:
        return _unreachable("Captcha code", SandboxControlError(f"HTTP {answer.status_code}"))
    body = render_template_string(
        "<h1>Captcha code</h1>"
        + _NAV
        + """{% if code %}<p>The newest captcha image of the sandbox portal shows:</p>
<p style="font-size:2.5em;letter-spacing:.3em" id="captcha-code">{{ code }}</p>
<p>Type it where the agent (or the portal page) asks for the verification code. Each new image gets a new code; this
page refreshes every {{ refresh }} seconds.</p>{% else %}<p id="no-captcha">No captcha is showing right now: a code
appears here once the portal's login page has loaded its image (open the portal login page, or run
<code>mpesa-agent setup</code>), and disappears once a login attempt used it.</p>{% endif %}""",
        portal=_portal(),
        code=code,
        refresh=REFRESH_SECONDS,
    )
    return page("Captcha code", body, state=shop().state, refresh=REFRESH_SECONDS)
