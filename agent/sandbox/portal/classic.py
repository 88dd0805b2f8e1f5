"""The classic skin (Huawei G2, 2015–2024): server-rendered pages that keep the real portal's shape.

Paths follow the reference §15.3: ``/orglogin.action`` (login), ``/verifycode.action`` (captcha PNG), ``/otp.action``,
``/changePassword.action`` (forced change), ``/home.action`` (the shell: header, top menu by role, closable tabs,
each tab's work area in an ``<iframe>``), ``/homepage.action`` (Home tab), ``/browseOrg/orgInfo.action`` and
``/browseOrg/operators.action`` (Browse Organization), ``/operatorManagement.action`` (My Functions › Operator
Management and Search › Organization Operator), ``/operator/create.action?step=identity|assign|kyc|review`` (the
wizard), ``/operator/detail.action?id=`` (Organization Operator Info) with ``/operator/setPassword.action``,
``resetPassword.action``, ``unlock.action``, ``changeStatus.action``, ``sendSms.action``, and ``/logout.action``.

All state changes go through ``PortalState``; this module only parses forms and renders ``templates/classic``.
Every request of this blueprint runs under the state's lock (taken after any injected latency).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from agent.sandbox.portal import captcha as captcha_mod
from agent.sandbox.portal import wizard
from agent.sandbox.portal.app import committed, portal_session, sandbox, session_expired
from agent.sandbox.portal.catalogue import (
    GENDERS,
    ID_TYPES,
    LOGIN_LANGUAGES,
    NATIONALITIES,
    NOTIFICATION_CHANNELS,
    OPERATOR_LANGUAGES,
    ROLES,
    RULE_PROFILES,
    SECURITY_QUESTIONS,
    STATUSES,
    Msg,
)
from agent.sandbox.portal.clock import fmt_date, fmt_datetime
from agent.sandbox.portal.state import (
    CHANGE,
    CHANGED,
    HOME,
    OTP,
    SORT_KEYS,
    FieldErrors,
    Operator,
    OperatorQuery,
    OtpLockout,
    PortalError,
    PortalState,
)

blueprint = Blueprint("classic", __name__)
T = "classic/"
PAGE_SIZES = (10, 20, 50)


@blueprint.before_request
def _take_lock() -> None:
    sandbox().state.lock.acquire()
    g.classic_locked = True


@blueprint.teardown_request
def _release_lock(_exc: BaseException | None) -> None:
    if g.pop("classic_locked", False):
        sandbox().state.lock.release()


@blueprint.app_template_filter("ddmmyyyy")
def _ddmmyyyy(value: Any) -> str:
    return fmt_date(value)


@blueprint.app_template_filter("ddmmyyyy_hms")
def _ddmmyyyy_hms(value: Any) -> str:
    return fmt_datetime(value)


def _state() -> PortalState:
    return sandbox().state


class NotLoggedIn(Exception):
    """The request needs a logged-in operator."""


def _actor() -> Operator:
    session = portal_session()
    state = _state()
    op = state.session_operator(session)
    if session.stage != HOME or op is None:
        raise NotLoggedIn
    return op


@blueprint.errorhandler(NotLoggedIn)
def _to_login(_exc: NotLoggedIn) -> ResponseReturnValue:
    if session_expired():
        return redirect(url_for("classic.login", expired="1"))
    return redirect(url_for("classic.login"))


def _page(template: str, **context: Any) -> str:
    if sandbox().markup.frames == 0 and "chrome" not in context:
        op = _state().session_operator(portal_session())
        if portal_session().stage == HOME and op is not None:
            context["chrome"] = _chrome(op)
    return render_template(T + template, **context)


def _chrome(op: Operator, current: str = "page") -> dict[str, Any]:
    """What a frames-0 page shows around its work area: the shell's header, menus and tab strip."""
    return {"operator": op, "menus": menus_for(op), "my_preference": MY_PREFERENCE, "current": current}


# -------------------------------------------------------------------------------------------------------------
# login, captcha, OTP, first-login change, logout


@blueprint.get("/")
def root() -> ResponseReturnValue:
    return redirect(url_for("classic.login"))


@blueprint.route("/login.action", methods=["GET", "POST"])  # an alias a C2B document links to (§2)
@blueprint.route("/orglogin.action", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    state = _state()
    session = portal_session()
    error, field = "", ""
    form = {"language": "English", "shortcode": "", "username": ""}
    if session_expired() or request.args.get("expired"):
        error = Msg.SESSION_EXPIRED
    if session.notice:
        error, session.notice = session.notice, None
    if request.method == "GET" and session.stage == HOME:
        return redirect(url_for("classic.home"))
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in ("language", "shortcode", "username")}
        try:
            state.login(
                session,
                shortcode=form["shortcode"],
                username=form["username"],
                password=request.form.get("password", ""),
                verification_code=request.form.get("verification_code", ""),
            )
        except PortalError as exc:
            error, field = exc.message, exc.field
        else:
            committed()
            return redirect(url_for("classic.otp"))
    return _page("login.html", error=error, field=field, form=form, languages=LOGIN_LANGUAGES, seq=state.captcha_seq)


@blueprint.get("/verifycode.action")
def verify_code() -> ResponseReturnValue:
    code = _state().issue_captcha(portal_session())
    return Response(captcha_mod.render_png(code), mimetype="image/png")


@blueprint.get("/forgotPassword.action")
def forgot_password() -> ResponseReturnValue:
    return _page("forgot_password.html")


@blueprint.route("/otp.action", methods=["GET", "POST"])
def otp() -> ResponseReturnValue:
    state = _state()
    session = portal_session()
    if session.stage != OTP or session.otp is None:
        return redirect(url_for("classic.login"))
    error, info = "", ""
    if request.method == "POST":
        try:
            if request.form.get("action") == "resend":
                state.resend_otp(session)
                committed()
                info = Msg.OTP_RESENT
            else:
                stage = state.verify_otp(session, request.form.get("otp", ""))
                committed()
                return redirect(url_for("classic.change_password" if stage == CHANGE else "classic.home"))
        except OtpLockout:
            return redirect(url_for("classic.login"))
        except PortalError as exc:
            error = exc.message
    assert session.otp is not None
    minutes = max(1, round(state.settings.otp_ttl_seconds / 60))
    return _page("otp.html", error=error, info=info, destination=session.otp.destination, minutes=minutes)


@blueprint.route("/changePassword.action", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    state = _state()
    session = portal_session()
    if session.stage == CHANGED:
        return _page("password_changed.html")
    if session.stage != CHANGE:
        return redirect(url_for("classic.login"))
    errors: dict[str, str] = {}
    chosen = {"question1": "", "question2": "", "answer1": "", "answer2": ""}
    if request.method == "POST":
        chosen = {k: request.form.get(k, "") for k in chosen}
        try:
            state.change_password(
                session,
                old=request.form.get("old_password", ""),
                new=request.form.get("new_password", ""),
                confirm=request.form.get("confirm_password", ""),
                questions=[(chosen["question1"], chosen["answer1"]), (chosen["question2"], chosen["answer2"])],
            )
        except FieldErrors as exc:
            errors = exc.errors
        except PortalError as exc:
            errors = {"": exc.message}
        else:
            committed()
            return _page("password_changed.html")
    notice = Msg.PW_EXPIRED if session.change_reason == "expired" else Msg.PW_FIRST_LOGIN
    return _page(
        "change_password.html",
        errors=errors,
        chosen=chosen,
        notice=notice,
        questions=SECURITY_QUESTIONS,
        ask_questions=state.needs_security_questions(session),
        operator=state.session_operator(session),
    )


@blueprint.route("/returnToLogin.action", methods=["POST"])
def return_to_login() -> ResponseReturnValue:
    _state().logout(portal_session())
    return redirect(url_for("classic.login"))


@blueprint.route("/logout.action", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    session = portal_session()
    if request.method == "GET":
        if session.stage != HOME:
            return redirect(url_for("classic.login"))
        return _page("logout_confirm.html")
    _state().logout(session)
    return redirect(url_for("classic.login"))


# -------------------------------------------------------------------------------------------------------------
# the shell: header, menus, tabs


@dataclasses.dataclass(frozen=True)
class Tab:
    """Something that opens as a tab: its key, title and work-area URL."""

    key: str
    title: str
    url: str


@dataclasses.dataclass(frozen=True)
class Menu:
    label: str
    tab: Tab | None = None  # a top-level item that opens a tab directly
    items: tuple[Tab, ...] = ()


def _not_available(title: str) -> Tab:
    key = "na-" + title.lower().replace(" ", "-")
    return Tab(key, title, "/notAvailable.action?" + urlencode({"function": title}))


OPERATOR_MANAGEMENT = Tab("operator-management", "Operator Management", "/operatorManagement.action")
ORGANIZATION_OPERATOR = Tab("organization-operator", "Organization Operator", "/operatorManagement.action?via=search")
MY_ORGANIZATION = Tab("my-organization", "My Organization", "/myOrganization.action")
BROWSE_ORGANIZATION = Tab("browse-organization", "Browse Organization", "/browseOrg/orgInfo.action")
MY_PREFERENCE = Tab("my-preference", "My Preference", "/myPreference.action")
CREATE_OPERATOR = Tab("create-operator", "Create Operator", "/operator/create.action")
SEARCH_MENU = Menu(
    "Search",
    items=(ORGANIZATION_OPERATOR, MY_ORGANIZATION, Tab("organization", "Organization", "/myOrganization.action")),
)


def menus_for(op: Operator) -> list[Menu]:
    """The top menu by role (reference §5.1): administrators and managers differ; others see less."""
    if op.is_manager:
        return [
            Menu("My Tasks", items=(_not_available("Group Task"), _not_available("My Task"))),
            Menu("Transaction", items=(_not_available("Initiate Transaction"), _not_available("Account Statement"))),
            Menu("Account View", tab=_not_available("Account View")),
            SEARCH_MENU,
            Menu(
                "My Functions",
                items=(
                    OPERATOR_MANAGEMENT,
                    _not_available("Bulk"),
                    _not_available("O2C Link"),
                    _not_available("Initiate Transaction"),
                    _not_available("Operations"),
                ),
            ),
            Menu("Browse Organization", tab=BROWSE_ORGANIZATION),
            Menu("Reports", tab=_not_available("Reports")),
        ]
    if op.is_admin:
        return [
            SEARCH_MENU,
            Menu("My Functions", items=(OPERATOR_MANAGEMENT, _not_available("Bulk"), _not_available("Create All ID"))),
            Menu("Browse Organization", tab=BROWSE_ORGANIZATION),
        ]
    return [
        SEARCH_MENU,
        Menu("My Functions", items=(OPERATOR_MANAGEMENT,)),
        Menu("Reports", tab=_not_available("Reports")),
    ]


@blueprint.get("/home.action")
def home() -> ResponseReturnValue:
    op = _actor()
    org = _state().org_of(op)
    if sandbox().markup.frames == 0:  # no iframe: the Home tab's page is the top document
        return _homepage(op, chrome=_chrome(op, current="home"))
    return _page("shell.html", operator=op, org=org, menus=menus_for(op), my_preference=MY_PREFERENCE)


@blueprint.get("/homepage.action")
def homepage() -> ResponseReturnValue:
    return _homepage(_actor())


def _homepage(op: Operator, **context: Any) -> str:
    shortcuts = [OPERATOR_MANAGEMENT, BROWSE_ORGANIZATION, MY_PREFERENCE] if op.is_admin or op.is_manager else []
    return _page("homepage.html", operator=op, org=_state().org_of(op), shortcuts=shortcuts, **context)


@blueprint.get("/nest.action")
def nest() -> ResponseReturnValue:
    """frames-2 only: a tab's page in an iframe inside the tab's iframe (``src`` is a path on this portal)."""
    _actor()
    src = request.args.get("src", "")
    if sandbox().markup.frames != 2 or not src.startswith("/") or src.startswith("//"):
        abort(404)
    name, title = request.args.get("name", "tab"), request.args.get("title", "")
    return _page("nest.html", src=src, name=name, title=title)


@blueprint.get("/notAvailable.action")
def not_available() -> ResponseReturnValue:
    _actor()
    return _page("not_available.html", function=request.args.get("function", ""))


@blueprint.get("/myOrganization.action")
def my_organization() -> ResponseReturnValue:
    op = _actor()
    return _page("org_info.html", org=_state().org_of(op), operator=op, browse=False)


@blueprint.get("/myPreference.action")
def my_preference() -> ResponseReturnValue:
    op = _actor()
    done = request.args.get("done") == "1"
    return _page("my_preference.html", operator=op, org=_state().org_of(op), errors={}, open_dialog=False, done=done)


@blueprint.post("/myPreference/changePassword.action")
def my_preference_change_password() -> ResponseReturnValue:
    op = _actor()
    form = request.form
    try:
        _state().change_own_password(
            portal_session(),
            old=form.get("old_password", ""),
            new=form.get("new_password", ""),
            confirm=form.get("confirm_password", ""),
        )
    except FieldErrors as exc:
        org = _state().org_of(op)
        return _page("my_preference.html", operator=op, org=org, errors=exc.errors, open_dialog=True, done=False)
    committed()
    return redirect(url_for("classic.my_preference", done="1"))


# -------------------------------------------------------------------------------------------------------------
# Browse Organization and the operator list


@blueprint.get("/browseOrg/orgInfo.action")
def browse_org_info() -> ResponseReturnValue:
    op = _actor()
    return _page("org_info.html", org=_state().org_of(op), operator=op, browse=True, tree="info")


def _query_from_args(shortcode: str) -> OperatorQuery:
    defaults = OperatorQuery(shortcode=shortcode)
    values = {f.name: request.args.get(f.name, getattr(defaults, f.name)) for f in dataclasses.fields(OperatorQuery)}
    return OperatorQuery(**values)


def _operator_list(browse: bool) -> ResponseReturnValue:
    op = _actor()
    state = _state()
    org = state.org_of(op)
    query = _query_from_args(org.shortcode)
    searched = request.args.get("search") == "1"
    try:
        size = int(request.args.get("size", PAGE_SIZES[0]))
    except ValueError:
        size = PAGE_SIZES[0]
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    rows = state.search_operators(org.shortcode, query) if searched else []
    pages = max(1, math.ceil(len(rows) / size)) if rows else 0
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    page = min(max(page, 1), max(pages, 1))
    shown = rows[(page - 1) * size : page * size]
    base = {f.name: getattr(query, f.name) for f in dataclasses.fields(OperatorQuery)}
    base.update(search="1", size=str(size))

    def link(**changes: Any) -> str:
        return request.path + "?" + urlencode({**base, **{k: str(v) for k, v in changes.items()}})

    return _page(
        "operators.html",
        operator=op,
        org=org,
        browse=browse,
        tree="operators",
        query=query,
        searched=searched,
        rows=shown,
        total=len(rows),
        page=page if rows else 0,
        pages=pages,
        size=size,
        page_sizes=PAGE_SIZES,
        link=link,
        roles=[r.name for r in ROLES],
        statuses=STATUSES,
        sort_keys=list(SORT_KEYS),
        can_add=op.is_admin,
        create_tab=CREATE_OPERATOR,
    )


@blueprint.get("/browseOrg/operators.action")
def browse_operators() -> ResponseReturnValue:
    return _operator_list(browse=True)


@blueprint.get("/operatorManagement.action")
def operator_management() -> ResponseReturnValue:
    return _operator_list(browse=False)


# -------------------------------------------------------------------------------------------------------------
# the Create Organization Operator wizard


def _step_url(step: str) -> str:
    return url_for("classic.create_operator", step=step)


@blueprint.route("/operator/create.action", methods=["GET", "POST"])
def create_operator() -> ResponseReturnValue:
    op = _actor()
    state = _state()
    session = portal_session()
    org = state.org_of(op)
    if not op.is_admin:
        return _page("message.html", title="Create Organization Operator", message=Msg.NO_PERMISSION, error=True)
    step = request.args.get("step", "")
    if step not in wizard.STEPS or session.draft is None:
        session.draft = wizard.new_draft(org.shortcode)
        if step != "identity":
            return redirect(_step_url("identity"))
    draft = session.draft
    today = state.clock.today()
    errors: dict[str, str] = {}
    roles_dialog_open = False
    all_channels = False
    if request.method == "GET":
        blocking = wizard.first_invalid_step(draft, org.username_taken, today)
        order = wizard.STEPS.index
        if blocking is not None and order(step) > order(blocking):
            return redirect(_step_url(blocking))
        draft.step = step
    else:
        wizard.draft_from_form(draft, step, request.form)
        action = request.form.get("action", "next")
        if action == "cancel":
            session.draft = None
            return _page(
                "message.html",
                title="Create Organization Operator",
                message="The operation is cancelled.",
                close_tab=CREATE_OPERATOR.key,
            )
        if action == "previous":
            return redirect(_step_url(wizard.STEPS[max(wizard.STEPS.index(step) - 1, 0)]))
        if action == "next" and step != "review":
            errors = wizard.validate_step(draft, step, org.username_taken, today)
            if not errors:
                return redirect(_step_url(wizard.STEPS[wizard.STEPS.index(step) + 1]))
            if errors.get("username") == Msg.USER_EXISTS:  # reported once, as a message above the form (G2)
                errors[""] = errors.pop("username")
        elif action in ("open_roles", "show_all_roles"):
            roles_dialog_open = True
            all_channels = request.form.get("all_channels") == "1"
        elif action == "add_roles":
            draft.add_roles(request.form.getlist("role"), today)
        elif action.startswith("remove_role:"):
            draft.remove_role(action.split(":", 1)[1])
        elif action == "add_id_row":
            draft.ids.append(wizard.IdRow())
        elif action.startswith("remove_id_row:"):
            index = int(action.split(":", 1)[1]) if action.split(":", 1)[1].isdigit() else -1
            if 0 < index < len(draft.ids):
                del draft.ids[index]
        elif action == "submit" and step == "review":
            try:
                created = state.create_operator(op, draft)
            except FieldErrors as exc:
                step, errors = exc.step or "identity", exc.errors
            except PortalError as exc:
                errors = {"": exc.message}
            else:
                committed()
                session.draft = None
                return _page("create_done.html", created=created, tab_key=CREATE_OPERATOR.key)
    selectable = [r for r in ROLES if r.selectable and (all_channels or r.channel in draft.channels)]
    return _page(
        "create_operator.html",
        step=step,
        steps=wizard.STEPS,
        step_titles=wizard.STEP_TITLES,
        draft=draft,
        org=org,
        errors=errors,
        warnings=wizard.channel_warnings(draft) if step in ("assign", "review") else [],
        roles_dialog_open=roles_dialog_open,
        all_channels=all_channels,
        selectable=selectable,
        held={name.casefold() for name in draft.role_names()},
        role_descriptions={r.name: r.description for r in ROLES},
        languages=OPERATOR_LANGUAGES,
        rule_profiles=RULE_PROFILES,
        id_types=ID_TYPES,
        genders=GENDERS,
        nationalities=NATIONALITIES,
        notification_channels=NOTIFICATION_CHANNELS,
    )


# -------------------------------------------------------------------------------------------------------------
# Organization Operator Info and its actions


def _detail(target_id: str, **context: Any) -> ResponseReturnValue:
    op = _actor()
    state = _state()
    target = state.operator(target_id)
    if target is None or target.org_shortcode != op.org_shortcode:
        abort(404)
    org = state.org_of(target)
    context.setdefault("errors", {})
    context.setdefault("open_dialog", "")
    return _page(
        "operator_detail.html",
        operator=op,
        target=target,
        org=org,
        can_set_password=state.can_set_password(op, target),
        can_reset=state.can_reset_password(op, target),
        can_unlock=state.can_unlock(op, target),
        can_change_status=state.can_administer(op, target) and bool(state.status_options(target)),
        can_send_sms=(op.is_admin or op.is_manager) and bool(target.notification_msisdn),
        status_options=state.status_options(target),
        done=request.args.get("done") == "1",
        **context,
    )


@blueprint.get("/operator/detail.action")
def operator_detail() -> ResponseReturnValue:
    return _detail(request.args.get("id", ""))


def _operator_action(dialog: str, run: Callable[[Operator, str], None]) -> ResponseReturnValue:
    op = _actor()
    target_id = request.form.get("id", "")
    try:
        run(op, target_id)
    except FieldErrors as exc:
        return _detail(target_id, open_dialog=dialog, errors=exc.errors)
    except PortalError as exc:
        return _detail(target_id, open_dialog=dialog, errors={"": exc.message})
    committed()
    return redirect(url_for("classic.operator_detail", id=target_id, done="1"))


@blueprint.post("/operator/setPassword.action")
def set_password() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "set-password-dialog",
        lambda op, tid: _state().set_api_password(op, tid, form.get("password", ""), form.get("confirm_password", "")),
    )


@blueprint.post("/operator/resetPassword.action")
def reset_password() -> ResponseReturnValue:
    return _operator_action("reset-password-dialog", lambda op, tid: _state().reset_password(op, tid))


@blueprint.post("/operator/unlock.action")
def unlock() -> ResponseReturnValue:
    return _operator_action("unlock-dialog", lambda op, tid: _state().unlock(op, tid))


@blueprint.post("/operator/changeStatus.action")
def change_status() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "change-status-dialog",
        lambda op, tid: _state().change_status(op, tid, form.get("status", ""), form.get("reason", "")),
    )


@blueprint.post("/operator/sendSms.action")
def send_sms() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "send-sms-dialog", lambda op, tid: _state().send_operator_sms(op, tid, form.get("message", ""))
    )
