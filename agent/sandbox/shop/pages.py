"""The sandbox shop's HTML pages: the front page (REST discovery), wp-login, a dashboard,
``wp-admin/authorize-application.php`` with WordPress's rules (reference §4.6), the Profile page's Application
Passwords section (``wp-admin/profile.php``) and WooCommerce → Settings → Payments (``wp-admin/admin.php?page=
wc-settings&tab=checkout&section=<gateway>``), read-only, with secrets masked.

Element ids follow WordPress so the same browser steps work on both: ``#user_login``, ``#user_pass``,
``#wp-submit``; ``#app_name``, ``#approve``, ``#reject``; the new password in ``#new-application-password-value``
(chunked ``xxxx xxxx ...``); on the Profile page ``#new_application_password_name`` and
``#do_new_application_password``; on the settings page each value in ``#woocommerce_<gateway>_<key>``. Without
``success_url`` the password is shown on the page; with one, the browser is sent there with ``site_url``,
``user_login`` and ``password``. ``http`` success URLs are accepted only in a ``local`` environment;
``javascript:``/``data:`` never; custom schemes need a host.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Response, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from agent.sandbox.shop import (
    APP_PASSWORDS_PATH,
    LOGIN_PATH,
    PROFILE_PATH,
    SETTINGS_PATH,
    gateway_settings_path,
    gateways,
)
from agent.sandbox.shop.state import ShopState, User

COOKIE = "wordpress_logged_in_sandbox"
NOT_ALLOWED = "Sorry, you are not allowed to access this page."


_LAYOUT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} ‹ {{ site }} — WordPress</title>
{% if refresh %}<meta http-equiv="refresh" content="{{ refresh }}">{% endif %}
{% if api_link %}<link rel="https://api.w.org/" href="{{ api_link }}">{% endif %}
<style>body{font-family:sans-serif;background:#f0f0f1;margin:0}
main{max-width:560px;margin:40px auto;background:#fff;padding:24px;border:1px solid #c3c4c7}
label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%;padding:6px}
.notice{border-left:4px solid #00a32a;padding:8px;margin:12px 0;background:#f6f7f7}.error{border-color:#d63638}
button{margin-top:16px;padding:6px 12px}table{border-collapse:collapse;width:100%;margin-top:12px}
th,td{text-align:left;border-bottom:1px solid #dcdcde;padding:6px;vertical-align:top}code{word-break:break-all}
nav a{margin-right:12px}</style></head>
<body><main>{{ body|safe }}</main></body></html>"""


def page(
    title: str,
    body: str,
    *,
    state: ShopState,
    api_link: str | None = None,
    status: int = 200,
    refresh: int | None = None,
) -> Response:
    """A whole HTML page around ``body`` (already escaped HTML); ``refresh`` seconds adds a meta refresh."""
    html = render_template_string(_LAYOUT, title=title, site=state.name, body=body, api_link=api_link, refresh=refresh)
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
        return _login_redirect(base)
    body = render_template_string(
        """<h1>Dashboard</h1><p>Howdy, {{ login }}</p>{{ nav|safe }}""", login=user.login, nav=admin_nav(base)
    )
    return page("Dashboard", body, state=state)


def admin_nav(base: str) -> str:
    return render_template_string(
        """<nav><a href="{{ base }}wp-admin/">Dashboard</a><a href="{{ profile }}">Profile (application passwords)</a>
<a href="{{ payments }}">WooCommerce → Settings → Payments</a></nav>""",
        base=base,
        profile=base + APP_PASSWORDS_PATH,
        payments=base + SETTINGS_PATH,
    )


def _login_redirect(base: str) -> ResponseReturnValue:
    return redirect(base + LOGIN_PATH + "?" + urlencode({"redirect_to": request.url}), code=302)


def profile(state: ShopState, base: str) -> ResponseReturnValue:
    """Profile → Application Passwords: "Add New Application Password" with a name shows the new password once."""
    user = current_user(state)
    if user is None:
        return _login_redirect(base)
    error = ""
    status = 200
    new_password = ""
    new_name = ""
    if request.method == "POST":
        new_name = request.form.get("new_application_password_name", "").strip()
        with state.lock:
            if not state.app_passwords_available:
                error, status = "Application passwords are not available (the site needs HTTPS).", 501
            elif not new_name:
                error, status = "An application name is required to create an application password.", 400
            elif any(item.name == new_name for item in user.app_passwords):
                error, status = "Each application name should be unique.", 409
            else:
                new_password, _item = state.create_app_password(user, new_name)
    with state.lock:
        existing = [item.public() for item in user.app_passwords]
    body = render_template_string(
        """<h1>Profile</h1>{{ nav|safe }}<p>Username: <strong id="user_login">{{ login }}</strong></p>
<section id="application-passwords-section"><h2>Application Passwords</h2>
<p>Application passwords allow authentication via non-interactive systems, such as the REST API, without providing
your actual password. Application passwords can be easily revoked. They cannot be used for traditional logins to your
website.</p>
{% if error %}<div class="notice error" id="application-passwords-error">{{ error }}</div>{% endif %}
{% if new_password %}<div class="notice new-application-password-notice"><p class="application-password-display">
<label for="new-application-password-value">Your new password for <strong>{{ new_name }}</strong> is:</label>
<input id="new-application-password-value" type="text" class="code" readonly="readonly" value="{{ new_password }}">
</p><p>Be sure to save this in a safe location. You will not be able to retrieve it.</p>
<p>Sandbox: give it to <code>mpesa-agent link-site {{ site }} --username {{ login }}</code> when it asks for the
application password.</p></div>{% endif %}
<form method="post" action="{{ action }}" class="create-application-password">
<label for="new_application_password_name">New Application Password Name</label>
<input type="text" size="30" id="new_application_password_name" name="new_application_password_name"
placeholder="e.g. mpesa-agent" required>
<button type="submit" name="do_new_application_password" id="do_new_application_password" value="1">Add New
Application Password</button></form>
{% if existing %}<table class="application-passwords-list-table"><thead><tr><th>Name</th><th>Created</th>
<th>Last Used</th><th>Last IP</th></tr></thead><tbody>{% for item in existing %}<tr><td>{{ item.name }}</td>
<td>{{ item.created }}</td><td>{{ item.last_used or "—" }}</td><td>{{ item.last_ip or "—" }}</td></tr>
{% endfor %}</tbody></table>{% endif %}</section>""",
        nav=admin_nav(base),
        login=user.login,
        error=error,
        new_password=chunk(new_password) if new_password else "",
        new_name=new_name,
        site=base.rstrip("/"),
        action=base + PROFILE_PATH,
        existing=existing,
    )
    return page("Profile", body, state=state, status=status)


def wc_settings(state: ShopState, base: str) -> ResponseReturnValue:
    """WooCommerce → Settings → Payments: the gateways, and one gateway's stored settings (secrets masked)."""
    user = current_user(state)
    if user is None:
        return _login_redirect(base)
    if request.args.get("page") != "wc-settings" or not state.woocommerce_active:
        return page("Error", f"<p>{NOT_ALLOWED}</p>", state=state, status=404)
    if not user.can("manage_woocommerce"):
        return page("Error", f"<p>{NOT_ALLOWED}</p>", state=state, status=403)
    table = state.gateway_table()
    section = request.args.get("section", "")
    if request.args.get("tab", "checkout") != "checkout" or not section:
        rows: list[dict[str, Any]] = []
        for gateway_id, (title, _fields) in table.items():
            values, _saved = state.gateway_settings(gateway_id)
            rows.append({"id": gateway_id, "title": title, "enabled": gateways.display(values.get("enabled"), {})})
        body = render_template_string(
            """<h1>Payments</h1>{{ nav|safe }}{% if not has_mpesa %}<div class="notice error">No M-PESA payment plugin
is active on this site.</div>{% endif %}<table><thead><tr><th>Method</th><th>Enabled</th><th></th></tr></thead>
<tbody>{% for row in rows %}<tr><td>{{ row.title }} <code>{{ row.id }}</code></td><td>{{ row.enabled }}</td>
<td><a href="{{ base }}{{ path(row.id) }}">Manage</a></td></tr>{% endfor %}</tbody></table>""",
            nav=admin_nav(base),
            has_mpesa="mpesa" in table,
            rows=rows,
            base=base,
            path=gateway_settings_path,
        )
        return page("Payments", body, state=state)
    if section not in table:
        body = render_template_string(
            """<h1>Payments</h1>{{ nav|safe }}<div class="notice error">There is no payment method
<code>{{ section }}</code> on this site{% if section == "mpesa" %} (no M-PESA plugin is active){% endif %}.</div>""",
            nav=admin_nav(base),
            section=section,
        )
        return page("Payments", body, state=state, status=404)
    title, fields = table[section]
    values, saved = state.gateway_settings(section)
    fields_shown: list[dict[str, Any]] = []
    for key, field in fields.items():
        if field.get("type") == "title":
            fields_shown.append({"heading": field.get("title", key)})
            continue
        secret = gateways.is_secret(key, field)
        value = values.get(key)
        shown = gateways.mask(value) if secret else gateways.display(value, field)
        fields_shown.append({"key": key, "label": field.get("title", key), "value": shown, "secret": secret})
    body = render_template_string(
        """<h1>{{ title }}</h1>{{ nav|safe }}
{% if saved %}<div class="notice" id="settings-saved">These are the saved settings of this payment method.</div>
{% else %}<div class="notice error" id="settings-never-saved">These settings were never saved: the plugin's defaults
are shown.</div>{% endif %}<p>Read-only in the sandbox shop; secrets are masked (only their last 2 characters
show).</p><table class="form-table"><tbody>{% for row in rows %}{% if row.heading %}<tr><th colspan="2">
<h2>{{ row.heading }}</h2></th></tr>{% else %}<tr><th scope="row"><label for="{{ prefix }}{{ row.key }}">{{ row.label
}}</label> <code>{{ row.key }}</code></th><td><output id="{{ prefix }}{{ row.key }}"{% if row.secret %} class="masked"
{% endif %}>{{ row.value or "(empty)" }}</output></td></tr>{% endif %}{% endfor %}</tbody></table>""",
        nav=admin_nav(base),
        title=title,
        saved=saved,
        rows=fields_shown,
        prefix=f"woocommerce_{section}_",
    )
    return page(title, body, state=state)


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
        return _login_redirect(base)
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
