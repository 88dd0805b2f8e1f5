"""The current skin (Vue 3 + Element Plus, 2025–2026): a single-page app with hash routes and a left sidebar.

Written from the reference §2, §4.3, §5.2, §6.2, §8.2 and §15.1 item 4. ``GET /`` serves the app shell
(``templates/current/index.html`` + ``static/current/app.js``). The script reads the hash route (``#/login?
transaction_service=...``, ``#/search/organizationOperator``, ...) and fetches that view from
``GET /orgportal/v1/view/<route>``: server-rendered HTML (layout + page) that it swaps into ``#app`` without a page
load. Forms are posted with ``fetch`` to ``/orgportal/v1/...`` endpoints that answer with the next view; the response
header ``X-Route`` names the hash route of that view (the script puts it in the address bar). Rendering stays on the
server so the shared faults (``rename_label``, latency, error/drop after commit, expired sessions) act on this skin
exactly as on the classic one; the script shows a 500 or a dropped reply as an Element Plus error message.

Hash routes: ``/login`` (login; after a correct captcha the 6-box OTP step in its place), ``/forgotPassword``,
``/changePassword`` (forced change), ``/home``, ``/search/organizationOperator`` (+ ``/create?step=``,
``/createResult?id=``, ``/detail?id=``), ``/search/myOrganization``, ``/search/organization``,
``/myPreference/basicInfo``, ``/notAvailable?function=``. POST endpoints: ``/orgportal/v1/sso/{login, otp,
changePassword, returnToLogin, logout}``, ``/orgportal/v1/operator/{create, setPassword, resetPassword, unlock,
changeStatus, sendSms}``, ``/orgportal/v1/preference/changePassword``; the captcha PNG is
``/orgportal/v1/sso/captcha?ts=``. ``/orglogin.action`` redirects to ``/#/login?...`` (so ``RunningSandbox.login_url``
works for both skins). With the ``routes-history`` markup the same routes are history-API paths (``/login?...``,
``/search/organizationOperator``): the redirects lead there and ``GET`` of any such path serves the app shell (as a
Vue app with ``createWebHistory`` behind a server that falls back to ``index.html``).

Where the reference says nothing about the current UI (the wizard's labels and steps, the dialogs, messages, My
Preference), the classic skin's labels and steps are used. All state changes go through ``PortalState``; every
request of this blueprint runs under the state's lock (taken after any injected latency).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from agent.sandbox.portal import captcha as captcha_mod
from agent.sandbox.portal import wizard
from agent.sandbox.portal.app import committed, portal_session, sandbox, session_expired
from agent.sandbox.portal.catalogue import (
    GENDERS,
    ID_TYPES,
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
    FieldErrors,
    Operator,
    OperatorQuery,
    OtpLockout,
    PortalError,
    PortalState,
)

blueprint = Blueprint("current", __name__)
T = "current/"
PREFIX = "/orgportal/v1"
OTP_DIGITS = 6
PAGE_SIZE = 10
OTP_REQUIRED = "Please enter the 6-digit OTP."
CANCELLED = "The operation is cancelled."
NO_OPERATOR = "The operator does not exist."
_EXTENSION = "mpesa_sandbox_current_skin"

# Hash routes.
LOGIN = "/login"
FORGOT_PASSWORD = "/forgotPassword"  # noqa: S105 - a route
CHANGE_PASSWORD = "/changePassword"  # noqa: S105 - a route
HOME_ROUTE = "/home"
OPERATORS = "/search/organizationOperator"
CREATE = OPERATORS + "/create"
CREATE_RESULT = OPERATORS + "/createResult"
DETAIL = OPERATORS + "/detail"
MY_ORGANIZATION = "/search/myOrganization"
ORGANIZATION = "/search/organization"
BASIC_INFO = "/myPreference/basicInfo"
NOT_AVAILABLE = "/notAvailable"

Args = Mapping[str, str]


@dataclasses.dataclass
class SkinState:
    """What only this skin keeps, per app: sessions due to see the post-login notice, and captcha URL counters."""

    notice_due: set[str] = dataclasses.field(default_factory=set)
    captcha_urls: itertools.count[int] = dataclasses.field(default_factory=itertools.count)


@blueprint.record_once
def _setup(setup: BlueprintSetupState) -> None:
    setup.app.extensions[_EXTENSION] = SkinState()


def _skin() -> SkinState:
    found: SkinState = current_app.extensions[_EXTENSION]
    return found


@blueprint.before_request
def _take_lock() -> None:
    sandbox().state.lock.acquire()
    g.current_locked = True


@blueprint.teardown_request
def _release_lock(_exc: BaseException | None) -> None:
    if g.pop("current_locked", False):
        sandbox().state.lock.release()


@blueprint.app_template_filter("ddmmyyyy")
def _ddmmyyyy(value: Any) -> str:
    return fmt_date(value)


@blueprint.app_template_filter("ddmmyyyy_hms")
def _ddmmyyyy_hms(value: Any) -> str:
    return fmt_datetime(value)


def _state() -> PortalState:
    return sandbox().state


# -------------------------------------------------------------------------------------------------------------
# views: what a request answers (HTML for #app + the hash route it belongs to)


@dataclasses.dataclass
class View:
    route: str
    html: str
    status: int = 200


def _respond(view: View) -> Response:
    response = Response(view.html, status=view.status, mimetype="text/html")
    response.headers["X-Route"] = view.route
    return response


def _with_query(path: str, **params: str) -> str:
    kept = {k: v for k, v in params.items() if v}
    return path + ("?" + urlencode(kept) if kept else "")


def _toast(text: str, kind: str = "success") -> None:
    """An Element Plus message shown with the next view (success/info/warning/error)."""
    g.current_toast = {"kind": kind, "text": text}


@dataclasses.dataclass(frozen=True)
class MenuItem:
    title: str
    route: str


@dataclasses.dataclass(frozen=True)
class SubMenu:
    title: str
    icon: str
    items: tuple[MenuItem, ...]


def _not_available(title: str) -> MenuItem:
    return MenuItem(title, _with_query(NOT_AVAILABLE, function=title))


SEARCH_MENU = SubMenu(
    "Search",
    "search",
    (
        MenuItem("Organization Operator", OPERATORS),
        MenuItem("My Organization", MY_ORGANIZATION),
        MenuItem("Organization", ORGANIZATION),
    ),
)
TRANSACTION_MENU = SubMenu(
    "Transaction", "wallet", (_not_available("Initiate Transaction"), _not_available("Account Statement"))
)
BUSINESS_CENTER_MENU = SubMenu(
    "Business Center",
    "briefcase",
    (_not_available("Bulk Task"), _not_available("Revenue Settlement"), _not_available("Approval Configurations")),
)
MY_PREFERENCE_MENU = SubMenu("My Preference", "user", (MenuItem("Basic Info", BASIC_INFO), _not_available("Audit Log")))


def menus_for(op: Operator) -> list[SubMenu]:
    """The sidebar by role (reference §5.2; "menu group names can differ by role")."""
    if op.is_manager:
        return [SEARCH_MENU, TRANSACTION_MENU, BUSINESS_CENTER_MENU, MY_PREFERENCE_MENU]
    if op.is_admin:
        return [SEARCH_MENU, BUSINESS_CENTER_MENU, MY_PREFERENCE_MENU]
    return [SEARCH_MENU, MY_PREFERENCE_MENU]


def _active(menus: list[SubMenu], route: str) -> tuple[SubMenu | None, MenuItem | None]:
    """The sub-menu and item a route belongs to (an item's route, or a page under it)."""
    path = route.split("?", 1)[0]
    for menu in menus:
        for item in menu.items:
            item_path = item.route.split("?", 1)[0]
            if item.route == route or (
                item_path != NOT_AVAILABLE and (path == item_path or path.startswith(item_path + "/"))
            ):
                return menu, item
    return None, None


def _page(
    op: Operator, route: str, template: str, *, crumbs: list[str] | None = None, status: int = 200, **context: Any
) -> View:
    """A logged-in page inside the layout (sidebar, top bar); shows the post-login notice once."""
    session = portal_session()
    menus = menus_for(op)
    menu, item = _active(menus, route)
    if crumbs is None:
        crumbs = [menu.title, item.title] if menu and item else [str(context.get("title", "Home"))]
    notice = session.sid in _skin().notice_due
    _skin().notice_due.discard(session.sid)
    html = render_template(
        T + template,
        operator=op,
        org=_state().org_of(op),
        menus=menus,
        active_menu=menu,
        active_item=item,
        home_active=route.split("?", 1)[0] == HOME_ROUTE,
        crumbs=crumbs,
        notice=notice,
        toast=g.get("current_toast"),
        prefix=PREFIX,
        view_name=template.removesuffix(".html"),
        **context,
    )
    return View(route, html, status)


def _logged_in() -> Operator | None:
    session = portal_session()
    return _state().session_operator(session) if session.stage == HOME else None


def route_view(path: str, args: Args) -> View:
    """The view for a hash route, given the session's stage (login, OTP, forced change, or logged in)."""
    session = portal_session()
    if session.stage == CHANGE:
        return _change_view()
    if session.stage == CHANGED:
        return _changed_view()
    if path == FORGOT_PASSWORD:
        return View(FORGOT_PASSWORD, render_template(T + "forgot_password.html", view_name="forgot-password"))
    op = _logged_in()
    if op is None:
        return _login_view(status=200 if path in ("/", LOGIN) else 401)
    if path in ("/", LOGIN):
        path = HOME_ROUTE
    handler = APP_VIEWS.get(path)
    if handler is None:
        return _page(
            op,
            path,
            "message.html",
            title="Page Not Found",
            message="The page does not exist.",
            error=True,
            status=404,
            back=("Home", HOME_ROUTE),
        )
    return handler(op, args)


def _not_logged_in() -> Response:
    """The answer to a POST that needs a logged-in operator when there is none (login, or the forced change)."""
    return _respond(route_view(HOME_ROUTE, {}))


# -------------------------------------------------------------------------------------------------------------
# the app shell, login, captcha, OTP, forced change, logout


def _login_route() -> str:
    return _with_query(LOGIN, transaction_service=request.host_url.rstrip("/") + PREFIX + "/sso/home")


@blueprint.get("/")
def index() -> ResponseReturnValue:
    portal_session()
    return render_template(T + "index.html", prefix=PREFIX)


def _app_url(route: str) -> str:
    """Where the browser shows ``route``: ``/#/home``, or ``/home`` with history routes (``routes-history``)."""
    return route if sandbox().markup.routes_history else "/#" + route


#: Paths that are never app routes (the server's own endpoints).
_NOT_ROUTES = (PREFIX.lstrip("/") + "/", "static/", "__sim/")


@blueprint.get("/<path:route>")
def history_route(route: str) -> ResponseReturnValue:
    """With history routes, every app path (``/login``, ``/search/organizationOperator``, ...) serves the app; the
    script then shows that route's view (an unknown one as "Page Not Found"). Without them, there is no such page."""
    if not sandbox().markup.routes_history or route.startswith(_NOT_ROUTES):
        return Response("Not Found", status=404, mimetype="text/plain")
    return index()


@blueprint.get("/orglogin.action")
def classic_login_path() -> ResponseReturnValue:
    return redirect(_app_url(_login_route()))


@blueprint.get(PREFIX + "/sso/home")
def sso_home() -> ResponseReturnValue:
    return redirect(_app_url(HOME_ROUTE))


@blueprint.get(PREFIX + "/view", defaults={"route": ""}, strict_slashes=False)
@blueprint.get(PREFIX + "/view/<path:route>")
def view(route: str) -> ResponseReturnValue:
    return _respond(route_view("/" + route.strip("/"), request.args))


@blueprint.get(PREFIX + "/sso/captcha")
def captcha() -> ResponseReturnValue:
    code = _state().issue_captcha(portal_session())
    return Response(captcha_mod.render_png(code), mimetype="image/png")


def _login_view(
    *,
    error: str = "",
    field: str = "",
    form: dict[str, str] | None = None,
    otp_error: str = "",
    otp_info: str = "",
    status: int = 200,
) -> View:
    state = _state()
    session = portal_session()
    if not error and not otp_error:
        if session_expired():
            error = Msg.SESSION_EXPIRED
        if session.notice:
            error, session.notice = session.notice, None
    otp = session.otp if session.stage == OTP else None
    html = render_template(
        T + "login.html",
        view_name="otp" if otp else "login",
        error=error,
        field=field,
        form=form or {"shortCode": "", "userAccount": ""},
        otp=otp,
        otp_error=otp_error,
        otp_info=otp_info,
        otp_required=OTP_REQUIRED,
        digits=range(OTP_DIGITS),
        minutes=max(1, round(state.settings.otp_ttl_seconds / 60)),
        captcha_url=f"{PREFIX}/sso/captcha?ts={state.captcha_seq}-{next(_skin().captcha_urls)}",
        prefix=PREFIX,
        msg=Msg,
        toast=g.get("current_toast"),
    )
    return View(_login_route(), html, status)


@blueprint.post(PREFIX + "/sso/login")
def login() -> ResponseReturnValue:
    session = portal_session()
    if _logged_in() is not None:
        return _respond(route_view(HOME_ROUTE, {}))
    form = {"shortCode": request.form.get("shortCode", ""), "userAccount": request.form.get("userAccount", "")}
    try:
        _state().login(
            session,
            shortcode=form["shortCode"],
            username=form["userAccount"],
            password=request.form.get("password", ""),
            verification_code=request.form.get("verifyCode", ""),
        )
    except PortalError as exc:
        return _respond(_login_view(error=exc.message, field=exc.field, form=form))
    committed()
    return _respond(_login_view())


@blueprint.post(PREFIX + "/sso/otp")
def otp() -> ResponseReturnValue:
    state = _state()
    session = portal_session()
    if session.stage != OTP or session.otp is None:
        return _respond(route_view(LOGIN, {}))
    try:
        if request.form.get("action") == "resend":
            state.resend_otp(session)
            committed()
            return _respond(_login_view(otp_info=Msg.OTP_RESENT))
        code = request.form.get("otp") or "".join(request.form.get(f"otp{i}", "") for i in range(OTP_DIGITS))
        stage = state.verify_otp(session, code)
    except OtpLockout:
        return _respond(_login_view())  # the state left a notice for the login form
    except PortalError as exc:
        return _respond(_login_view(otp_error=exc.message))
    committed()
    if stage == CHANGE:
        return _respond(_change_view())
    _skin().notice_due.add(session.sid)
    return _respond(route_view(HOME_ROUTE, {}))


def _change_view(errors: dict[str, str] | None = None, chosen: dict[str, str] | None = None) -> View:
    state = _state()
    session = portal_session()
    html = render_template(
        T + "change_password.html",
        view_name="change-password",
        wide=True,
        errors=errors or {},
        chosen=chosen or {"question1": "", "question2": "", "answer1": "", "answer2": ""},
        notice=Msg.PW_EXPIRED if session.change_reason == "expired" else Msg.PW_FIRST_LOGIN,
        questions=SECURITY_QUESTIONS,
        ask_questions=state.needs_security_questions(session),
        operator=state.session_operator(session),
        prefix=PREFIX,
    )
    return View(CHANGE_PASSWORD, html)


def _changed_view() -> View:
    html = render_template(T + "password_changed.html", view_name="password-changed", prefix=PREFIX)
    return View(CHANGE_PASSWORD, html)


@blueprint.post(PREFIX + "/sso/changePassword")
def change_password() -> ResponseReturnValue:
    state = _state()
    session = portal_session()
    if session.stage != CHANGE:
        return _respond(route_view(CHANGE_PASSWORD, {}))
    chosen = {k: request.form.get(k, "") for k in ("question1", "question2", "answer1", "answer2")}
    try:
        state.change_password(
            session,
            old=request.form.get("old_password", ""),
            new=request.form.get("new_password", ""),
            confirm=request.form.get("confirm_password", ""),
            questions=[(chosen["question1"], chosen["answer1"]), (chosen["question2"], chosen["answer2"])],
        )
    except FieldErrors as exc:
        return _respond(_change_view(exc.errors, chosen))
    except PortalError as exc:
        return _respond(_change_view({"": exc.message}, chosen))
    committed()
    return _respond(_changed_view())


@blueprint.post(PREFIX + "/sso/returnToLogin")
@blueprint.post(PREFIX + "/sso/logout")
def logout() -> ResponseReturnValue:
    _state().logout(portal_session())
    return _respond(_login_view())


# -------------------------------------------------------------------------------------------------------------
# Home, organisation pages, My Preference, functions the sandbox does not have


def _home(op: Operator, _args: Args) -> View:
    shortcuts = [("Organization Operator", OPERATORS, "search"), ("My Organization", MY_ORGANIZATION, "house")]
    shortcuts.append(("Basic Info", BASIC_INFO, "user"))
    return _page(op, HOME_ROUTE, "home.html", crumbs=["Home"], title="Home", shortcuts=shortcuts)


def _my_organization(op: Operator, _args: Args) -> View:
    return _page(op, MY_ORGANIZATION, "organization.html", title="My Organization", mine=True)


def _organization(op: Operator, _args: Args) -> View:
    return _page(op, ORGANIZATION, "organization.html", title="Organization › Details", mine=False)


def _not_available_view(op: Operator, args: Args) -> View:
    function = args.get("function", "") or "Function"
    route = _with_query(NOT_AVAILABLE, function=function)
    return _page(op, route, "message.html", title=function, message=Msg.NOT_AVAILABLE, error=False)


def _basic_info(op: Operator, _args: Args, *, errors: dict[str, str] | None = None, open_dialog: bool = False) -> View:
    return _page(op, BASIC_INFO, "basic_info.html", title="Basic Info", errors=errors or {}, open_dialog=open_dialog)


@blueprint.post(PREFIX + "/preference/changePassword")
def preference_change_password() -> ResponseReturnValue:
    op = _logged_in()
    if op is None:
        return _not_logged_in()
    form = request.form
    try:
        _state().change_own_password(
            portal_session(),
            old=form.get("old_password", ""),
            new=form.get("new_password", ""),
            confirm=form.get("confirm_password", ""),
        )
    except FieldErrors as exc:
        return _respond(_basic_info(op, {}, errors=exc.errors, open_dialog=True))
    except PortalError as exc:
        return _respond(_basic_info(op, {}, errors={"": exc.message}, open_dialog=True))
    committed()
    _toast(Msg.PW_CHANGED)
    return _respond(_basic_info(op, {}))


# -------------------------------------------------------------------------------------------------------------
# Search › Organization Operator

COLUMNS = (
    "Identity ID",
    "Org Short Code",
    "Org Name",
    "Operator ID",
    "Status",
    "User Name(MSISDN)",
    "MSISDN",
    "Role",
    "First Name",
    "Middle Name",
    "Last Name",
    "DOB",
    "Suspended",
    "Operation",
)
COLUMN_WIDTHS = (170, 110, 150, 100, 120, 140, 130, 260, 110, 110, 110, 110, 90, 90)
SEARCH_FIELDS = ("shortcode", "username", "identity_id", "msisdn", "operator_id", "status", "role")


def _operators(op: Operator, args: Args) -> View:
    state = _state()
    org = state.org_of(op)
    values = {name: args.get(name, "").strip() for name in SEARCH_FIELDS}
    query = OperatorQuery(
        shortcode=values["shortcode"],
        operator_id=values["operator_id"],
        role=values["role"],
        middle_name="",
        msisdn=values["msisdn"],
        status=values["status"],
        username=values["username"],
        identity_id=values["identity_id"],
        first_name="",
        last_name="",
    )
    rows = state.search_operators(org.shortcode, query)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    try:
        page = min(max(int(args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    searched = args.get("search") == "1"

    def link(**changes: Any) -> str:
        params = {**values, "search": "1" if searched else "", **{k: str(v) for k, v in changes.items()}}
        return _with_query(OPERATORS, **params)

    return _page(
        op,
        link(page=page if page > 1 else ""),
        "operators.html",
        title="Organization Operator",
        query=values,
        rows=shown,
        total=len(rows),
        page=page,
        pages=pages,
        link=link,
        columns=COLUMNS,
        widths=COLUMN_WIDTHS,
        statuses=STATUSES,
        roles=[r.name for r in ROLES],
        can_create=op.is_admin,
        list_route=OPERATORS,
        create_route=CREATE,
        detail_route=DETAIL,
        picker_orgs=[org],
    )


# -------------------------------------------------------------------------------------------------------------
# Create Organization Operator (the classic wizard's steps and rules, reference §7)


CREATE_CRUMBS = ["Search", "Organization Operator", "Create Organization Operator"]


def _wizard_page(
    op: Operator,
    step: str,
    draft: wizard.OperatorDraft,
    *,
    errors: dict[str, str] | None = None,
    roles_dialog_open: bool = False,
    all_channels: bool = False,
) -> View:
    selectable = [r for r in ROLES if r.selectable and (all_channels or r.channel in draft.channels)]
    return _page(
        op,
        _with_query(CREATE, step=step),
        "create_operator.html",
        crumbs=CREATE_CRUMBS,
        title="Create Organization Operator",
        step=step,
        steps=wizard.STEPS,
        step_titles=wizard.STEP_TITLES,
        draft=draft,
        errors=errors or {},
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
        iprs=request.form.get("iprs", "NO") if request.method == "POST" else "NO",
    )


def _no_permission(op: Operator) -> View:
    return _page(
        op,
        CREATE,
        "message.html",
        crumbs=CREATE_CRUMBS,
        title="Create Organization Operator",
        message=Msg.NO_PERMISSION,
        error=True,
        back=("Back to List", OPERATORS),
    )


def _create(op: Operator, args: Args) -> View:
    state = _state()
    session = portal_session()
    if not op.is_admin:
        return _no_permission(op)
    org = state.org_of(op)
    step = args.get("step", "")
    if step not in wizard.STEPS or session.draft is None:
        session.draft = wizard.new_draft(org.shortcode)
        step = "identity"
    draft = session.draft
    blocking = wizard.first_invalid_step(draft, org.username_taken, state.clock.today())
    if blocking is not None and wizard.STEPS.index(step) > wizard.STEPS.index(blocking):
        step = blocking
    draft.step = step
    return _wizard_page(op, step, draft)


@blueprint.post(PREFIX + "/operator/create")
def create_submit() -> ResponseReturnValue:
    op = _logged_in()
    if op is None:
        return _not_logged_in()
    if not op.is_admin:
        return _respond(_no_permission(op))
    state = _state()
    session = portal_session()
    org = state.org_of(op)
    step = request.form.get("step", "")
    if session.draft is None or step not in wizard.STEPS:
        return _respond(_create(op, {}))
    draft = session.draft
    today = state.clock.today()
    wizard.draft_from_form(draft, step, request.form)
    action = request.form.get("action", "next")
    errors: dict[str, str] = {}
    roles_dialog_open = all_channels = False
    if action == "cancel":
        session.draft = None
        _toast(CANCELLED, "info")
        return _respond(_operators(op, {}))
    if action == "previous":
        step = wizard.STEPS[max(wizard.STEPS.index(step) - 1, 0)]
    elif action == "next" and step != "review":
        errors = wizard.validate_step(draft, step, org.username_taken, today)
        if not errors:
            step = wizard.STEPS[wizard.STEPS.index(step) + 1]
        elif errors.get("username") == Msg.USER_EXISTS:  # reported once, as a message above the form (G2)
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
        index = action.split(":", 1)[1]
        if index.isdigit() and 0 < int(index) < len(draft.ids):
            del draft.ids[int(index)]
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
            return _respond(_create_result(op, {"id": created.identity_id}))
    draft.step = step
    page = _wizard_page(op, step, draft, errors=errors, roles_dialog_open=roles_dialog_open, all_channels=all_channels)
    return _respond(page)


def _create_result(op: Operator, args: Args) -> View:
    created = _state().operator(args.get("id", ""))
    if created is None or created.org_shortcode != op.org_shortcode:
        return _page(
            op,
            CREATE_RESULT,
            "message.html",
            crumbs=CREATE_CRUMBS,
            title="Create Organization Operator",
            message=NO_OPERATOR,
            error=True,
            status=404,
            back=("Back to List", OPERATORS),
        )
    return _page(
        op,
        _with_query(CREATE_RESULT, id=created.identity_id),
        "create_result.html",
        crumbs=CREATE_CRUMBS,
        title="Create Organization Operator",
        created=created,
        list_route=OPERATORS,
        detail_route=DETAIL,
    )


# -------------------------------------------------------------------------------------------------------------
# Detail (Organization Operator Info) and its actions


def _detail(op: Operator, args: Args, *, errors: dict[str, str] | None = None, open_dialog: str = "") -> View:
    state = _state()
    target_id = args.get("id", "")
    route = _with_query(DETAIL, id=target_id)
    crumbs = ["Search", "Organization Operator", "Detail"]
    target = state.operator(target_id)
    if target is None or target.org_shortcode != op.org_shortcode:
        return _page(
            op,
            route,
            "message.html",
            crumbs=crumbs,
            title="Organization Operator Info",
            message=NO_OPERATOR,
            error=True,
            status=404,
            back=("Back to List", OPERATORS),
        )
    return _page(
        op,
        route,
        "operator_detail.html",
        crumbs=crumbs,
        title="Organization Operator Info",
        target=target,
        errors=errors or {},
        open_dialog=open_dialog,
        can_set_password=state.can_set_password(op, target),
        can_reset=state.can_reset_password(op, target),
        can_unlock=state.can_unlock(op, target),
        can_change_status=state.can_administer(op, target) and bool(state.status_options(target)),
        can_send_sms=(op.is_admin or op.is_manager) and bool(target.notification_msisdn),
        status_options=state.status_options(target),
        list_route=OPERATORS,
    )


def _operator_action(dialog: str, run: Callable[[Operator, str], None]) -> ResponseReturnValue:
    op = _logged_in()
    if op is None:
        return _not_logged_in()
    target = {"id": request.form.get("id", "")}
    try:
        run(op, target["id"])
    except FieldErrors as exc:
        return _respond(_detail(op, target, open_dialog=dialog, errors=exc.errors))
    except PortalError as exc:
        return _respond(_detail(op, target, open_dialog=dialog, errors={"": exc.message}))
    committed()
    _toast(Msg.SUCCEEDED)
    return _respond(_detail(op, target))


@blueprint.post(PREFIX + "/operator/setPassword")
def set_password() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "set-password-dialog",
        lambda op, tid: _state().set_api_password(op, tid, form.get("password", ""), form.get("confirm_password", "")),
    )


@blueprint.post(PREFIX + "/operator/resetPassword")
def reset_password() -> ResponseReturnValue:
    return _operator_action("reset-password-dialog", lambda op, tid: _state().reset_password(op, tid))


@blueprint.post(PREFIX + "/operator/unlock")
def unlock() -> ResponseReturnValue:
    return _operator_action("unlock-dialog", lambda op, tid: _state().unlock(op, tid))


@blueprint.post(PREFIX + "/operator/changeStatus")
def change_status() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "change-status-dialog",
        lambda op, tid: _state().change_status(op, tid, form.get("status", ""), form.get("reason", "")),
    )


@blueprint.post(PREFIX + "/operator/sendSms")
def send_sms() -> ResponseReturnValue:
    form = request.form
    return _operator_action(
        "send-sms-dialog", lambda op, tid: _state().send_operator_sms(op, tid, form.get("message", ""))
    )


APP_VIEWS: dict[str, Callable[[Operator, Args], View]] = {
    HOME_ROUTE: _home,
    OPERATORS: _operators,
    CREATE: _create,
    CREATE_RESULT: _create_result,
    DETAIL: _detail,
    MY_ORGANIZATION: _my_organization,
    ORGANIZATION: _organization,
    BASIC_INFO: _basic_info,
    NOT_AVAILABLE: _not_available_view,
}
