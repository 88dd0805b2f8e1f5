"""The sandbox shop's HTML pages: the front page (REST discovery), wp-login, a dashboard, and
``wp-admin/authorize-application.php`` with WordPress's rules (reference §4.6).

Element ids follow WordPress so the same browser steps work on both: ``#user_login``, ``#user_pass``,
``#wp-submit``; ``#app_name``, ``#approve``, ``#reject``; the new password in ``#new-application-password-value``
(chunked ``xxxx xxxx ...``). Without ``success_url`` the password is shown on the page; with one, the browser is
sent there with ``site_url``, ``user_login`` and ``password``. ``http`` success URLs are accepted only in a ``local``
environment; ``javascript:``/``data:`` never; custom schemes need a host.
"""

from __future__ import annotations

import re
import secrets
import uuid
from urllib.parse import urlencode, urlsplit

from flask import Response, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from agent.sandbox.shop.state import ShopState, User

COOKIE = "wordpress_logged_in_sandbox"

_LAYOUT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} ‹ {{ site }} — WordPress</title>
{% if api_link %}<link rel="https://api.w.org/" href="{{ api_link }}">{% endif %}
<style>body{font-family:sans-serif;background:#f0f0f1;margin:0}
main{max-width:560px;margin:40px auto;background:#fff;padding:24px;border:1px solid #c3c4c7}
label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%;padding:6px}
.notice{border-left:4px solid #00a32a;padding:8px;margin:12px 0;background:#f6f7f7}.error{border-color:#d63638}
button{margin-top:16px;padding:6px 12px}</style></head>
<body><main>{{ body|safe }}</main></body></html>"""


def page(title: str, body: str, *, state: ShopState, api_link: str | None = None, status: int = 200) -> Response:
    html = render_template_string(_LAYOUT, title=title, site=state.name, body=body, api_link=api_link)
    return Response(html, status=status, content_type="text/html; charset=UTF-8")


def api_root_url(state: ShopState, base: str) -> str:
    return base + ("wp-json/" if state.permalinks == "pretty" else "index.php?rest_route=/")


def front_page(state: ShopState, base: str) -> Response:
    link = api_root_url(state, base)
    body = render_template_string("<h1>{{ name }}</h1><p>Just another WooCommerce shop.</p>", name=state.name)
    response = page("Home", body, state=state, api_link=link)
    response.headers["Link"] = f'<{link}>; rel="https://api.w.org/"'
    return response


def current_user(state: ShopState) -> User | None:
    sid = request.cookies.get(COOKIE)
    with state.lock:
        login = state.sessions.get(sid or "")
    return state.users.get(login) if login else None


def login(state: ShopState, base: str) -> ResponseReturnValue:
    redirect_to = request.values.get("redirect_to") or base + "wp-admin/"
    error = ""
    if request.method == "POST":
        user = state.find_user(request.form.get("log", ""))
        if user is not None and secrets.compare_digest(user.login_password, request.form.get("pwd", "")):
            sid = secrets.token_urlsafe(24)
            with state.lock:
                state.sessions[sid] = user.login
            target = redirect_to if _same_site(redirect_to, base) else base + "wp-admin/"
            response = redirect(target, code=302)
            response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax", path="/")
            return response
        error = "The username or password you entered is incorrect."
    body = render_template_string(
        """<h1>Log In</h1>{% if error %}<div class="notice error" id="login_error">{{ error }}</div>{% endif %}
<form name="loginform" id="loginform" method="post" action="{{ action }}">
<label for="user_login">Username or Email Address</label><input type="text" name="log" id="user_login">
<label for="user_pass">Password</label><input type="password" name="pwd" id="user_pass">
<input type="hidden" name="redirect_to" value="{{ redirect_to }}">
<button type="submit" name="wp-submit" id="wp-submit">Log In</button></form>""",
        error=error,
        action=base + "wp-login.php",
        redirect_to=redirect_to,
    )
    return page("Log In", body, state=state, status=200)


def dashboard(state: ShopState, base: str) -> ResponseReturnValue:
    user = current_user(state)
    if user is None:
        return redirect(base + "wp-login.php?" + urlencode({"redirect_to": request.url}), code=302)
    body = render_template_string("<h1>Dashboard</h1><p>Howdy, {{ login }}</p>", login=user.login)
    return page("Dashboard", body, state=state)


def _same_site(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def redirect_url_error(state: ShopState, url: str) -> str | None:
    """``wp_is_authorize_application_redirect_url_valid`` (WordPress 6.1-6.9 rules); the error code or None."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*", scheme or "") or not parts.netloc:
        return "invalid_redirect_url_format"
    if scheme in ("javascript", "data"):
        return "invalid_redirect_scheme"
    if scheme == "http" and state.environment_type != "local":
        return "invalid_redirect_scheme"
    return None


def chunk(password: str) -> str:
    return " ".join(password[i : i + 4] for i in range(0, len(password), 4))


def authorize_application(state: ShopState, base: str) -> ResponseReturnValue:
    user = current_user(state)
    if user is None:
        return redirect(base + "wp-login.php?" + urlencode({"redirect_to": request.url}), code=302)
    app_name = request.values.get("app_name", "")
    app_id = request.values.get("app_id", "")
    success_url = request.values.get("success_url", "")
    reject_url = request.values.get("reject_url", "") or (
        success_url + ("&" if "?" in success_url else "?") + "success=false" if success_url else ""
    )
    if not state.app_passwords_available:
        back = (
            (reject_url + ("&" if "?" in reject_url else "?") + "error=disabled") if reject_url else base + "wp-admin/"
        )
        body = render_template_string(
            "<h1>Authorize Application</h1><p>Application passwords are not available.</p>"
            '<a href="{{ back }}">Go Back</a>',
            back=back,
        )
        return page("Authorize Application", body, state=state, status=501)
    problems = []
    if app_id:
        try:
            uuid.UUID(app_id)
        except ValueError:
            problems.append("invalid_app_id: The application ID must be a UUID.")
    for url in (success_url, request.values.get("reject_url", "")):
        if url and (code := redirect_url_error(state, url)):
            problems.append(f"{code}: The URL {url} is not allowed.")
    if problems:
        body = render_template_string(
            '<h1>Authorize Application</h1>{% for p in problems %}<div class="notice error">{{ p }}</div>{% endfor %}',
            problems=problems,
        )
        return page("Authorize Application", body, state=state, status=400)
    if request.method == "POST":
        if "reject" in request.form:
            return redirect(reject_url or base + "wp-admin/", code=302)
        if "approve" in request.form:
            name = app_name.strip() or "Unnamed application"
            with state.lock:
                if any(item.name == name for item in user.app_passwords):
                    body = render_template_string(
                        '<h1>Authorize Application</h1><div class="notice error">Each application name should be '
                        "unique.</div>"
                    )
                    return page("Authorize Application", body, state=state, status=409)
                password, _item = state.create_app_password(user, name, app_id)
            if success_url:
                query = urlencode({"site_url": base.rstrip("/"), "user_login": user.login, "password": password})
                return redirect(success_url + ("&" if "?" in success_url else "?") + query, code=302)
            body = render_template_string(
                """<h1>Authorize Application</h1><div class="notice"><p class="application-password-display">
<label for="new-application-password-value">Your new password for <strong>{{ name }}</strong> is:</label>
<input id="new-application-password-value" type="text" class="code" readonly="readonly" value="{{ value }}"></p>
<p>Be sure to save this in a safe location. You will not be able to retrieve it.</p></div>""",
                name=name,
                value=chunk(password),
            )
            return page("Authorize Application", body, state=state)
    body = render_template_string(
        """<h1>Authorize Application</h1><p>Would you like to give the application identified as <strong>{{ app_name
or 'an application' }}</strong> access to your account ({{ login }})? You should only do this if you trust the app in
question.</p><form method="post" action="{{ action }}">
<input type="hidden" name="app_id" value="{{ app_id }}">
<input type="hidden" name="success_url" value="{{ success_url }}">
<input type="hidden" name="reject_url" value="{{ reject_url }}">
<label for="app_name">New Application Password Name</label><input type="text" id="app_name" name="app_name"
value="{{ app_name }}" required>
<button type="submit" name="approve" id="approve" value="1">Yes, I approve of this connection</button>
<p class="description" id="description-approve">{% if success_url %}You will be sent to {{ success_url }}{% else %}You
will be given a password to manually enter into the application in question.{% endif %}</p>
<button type="submit" name="reject" id="reject" value="1">No, I do not approve of this connection</button></form>""",
        app_name=app_name,
        login=user.login,
        action=base + "wp-admin/authorize-application.php",
        app_id=app_id,
        success_url=success_url,
        reject_url=request.values.get("reject_url", ""),
    )
    return page("Authorize Application", body, state=state)
