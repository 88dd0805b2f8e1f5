/* The current skin's single-page behaviour (a stand-in for the live portal's Vue 3 + Element Plus app).
   The hash route (#/login, #/search/organizationOperator, ...) picks a view; the server renders it
   (GET /orgportal/v1/view/<route>) and this script swaps it into #app: no page loads. Forms are posted with
   fetch; the reply is the next view, and its X-Route header is the route to show in the address bar.
   Also here: el-select comboboxes, dialogs, sub-menus, the 6-box OTP, the captcha refresh, and the login form's
   one-off field reset a moment after the captcha image loads (as the live portal's Vue form does).
   Markup axes (data-markup on <html>) change only structure: routes-history (history-API paths instead of hash
   routes), menu-hover (popup sub-menus at the end of <body>, opened by hovering), select-teleport (listboxes in
   poppers at the end of <body>), captcha-clears (every captcha load clears the login fields once, a moment later). */
(function () {
  "use strict";

  var app = document.getElementById("app");
  var viewBase = app.dataset.viewBase;
  var RESET_DELAY_MS = 500;      // the login fields are cleared this long after the captcha image loads (once)
  var MASK_DELAY_MS = 120;       // the loading mask shows only for slower answers
  var SYSTEM_ERROR = "System error. Please try again later.";
  var NETWORK_ERROR = "Network Error";
  var navSeq = 0;
  // The sandbox's markup knob (agent/sandbox/portal/markup.py): absent in the default markup.
  var M = {};
  (document.documentElement.dataset.markup || "").split(",").forEach(function (axis) { if (axis) { M[axis] = true; } });
  var pending = 0;
  var maskTimer = null;
  var HISTORY = !!M["routes-history"];
  var MENU_SHOW_MS = 300;        // menu-hover: Element Plus's show-timeout / hide-timeout of popup sub-menus
  var MENU_HIDE_MS = 300;
  // Where teleported poppers live (menu-hover, select-teleport): the end of <body>, as Element Plus puts them.
  var poppers = document.createElement("div");
  poppers.className = "el-popper-container";
  document.body.appendChild(poppers);

  // ------------------------------------------------------------------------------------------- routing
  function currentRoute() {
    if (HISTORY) { return (window.location.pathname || "/") + window.location.search; }
    var hash = window.location.hash.replace(/^#/, "");
    return hash || "/";
  }

  function viewUrl(route) {
    var cut = route.indexOf("?");
    var path = cut < 0 ? route : route.slice(0, cut);
    var query = cut < 0 ? "" : route.slice(cut);
    if (path.charAt(0) !== "/") { path = "/" + path; }
    return viewBase + (path === "/" ? "" : path) + query;
  }

  function setRoute(route, mode) {
    if (!route || currentRoute() === route) { return; }
    var url = HISTORY ? route : "#" + route;
    if (mode === "push") { history.pushState(null, "", url); }
    else { history.replaceState(null, "", url); }
  }

  function navigate(route) {
    if (currentRoute() === route) { load(viewUrl(route), { method: "GET" }, "replace"); }
    else if (HISTORY) { history.pushState(null, "", route); routeChanged(); }
    else { window.location.hash = route; }  // hashchange loads it
  }

  // ------------------------------------------------------------------------------------------- loading
  function busy(on) {
    pending = Math.max(0, pending + (on ? 1 : -1));
    app.setAttribute("aria-busy", pending > 0 ? "true" : "false");
    if (pending > 0 && maskTimer === null && !document.getElementById("app-loading-mask")) {
      maskTimer = setTimeout(function () {
        maskTimer = null;
        if (pending === 0) { return; }
        var mask = document.createElement("div");
        mask.id = "app-loading-mask";
        mask.className = "el-loading-mask is-fullscreen";
        mask.innerHTML = '<div class="el-loading-spinner"><svg class="circular" viewBox="0 0 50 50">' +
          '<circle class="path" cx="25" cy="25" r="20" fill="none"></circle></svg></div>';
        document.body.appendChild(mask);
      }, MASK_DELAY_MS);
    }
    if (pending === 0) {
      if (maskTimer !== null) { clearTimeout(maskTimer); maskTimer = null; }
      var shown = document.getElementById("app-loading-mask");
      if (shown) { shown.remove(); }
    }
  }

  function message(text, kind) {
    var box = document.createElement("div");
    box.className = "el-message el-message--" + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.dataset.autoclose = "3000";
    var p = document.createElement("p");
    p.className = "el-message__content";
    p.textContent = text;
    box.appendChild(p);
    document.body.appendChild(box);
    scheduleClose(box);
  }

  function scheduleClose(element) {
    setTimeout(function () {
      element.classList.add("is-closing");
      setTimeout(function () { element.remove(); }, 300);
    }, Number(element.dataset.autoclose) || 3000);
  }

  function serverError(html) {
    try {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var p = doc.querySelector("p");
      return (p && p.textContent.trim()) || SYSTEM_ERROR;
    } catch (e) {
      return SYSTEM_ERROR;
    }
  }

  function load(url, init, mode) {
    var seq = ++navSeq;
    busy(true);
    init.credentials = "same-origin";
    init.headers = { "X-Requested-With": "XMLHttpRequest" };
    return fetch(url, init).then(function (response) {
      return response.text().then(function (html) {
        if (seq !== navSeq) { return; }
        var route = response.headers.get("X-Route");
        if (response.status >= 500 || !route) { message(serverError(html), "error"); return; }
        swap(html);
        setRoute(route, mode);
      });
    }).catch(function () {
      if (seq === navSeq) { message(NETWORK_ERROR, "error"); }
    }).then(function () { busy(false); });
  }

  function post(form, data) {
    var body = new URLSearchParams();
    data.forEach(function (value, key) { body.append(key, typeof value === "string" ? value : ""); });
    return load(form.getAttribute("action"), { method: "POST", body: body }, "push");  // not form.action: a field may be named "action"
  }

  // ------------------------------------------------------------------------------------------- views
  function viewName() {
    var root = app.firstElementChild;
    while (root && !root.dataset.view) { root = root.nextElementSibling; }
    return root ? root.dataset.view : "";
  }

  function swap(html) {
    if (M.late) {  // late: the view renders 200-600 ms after its answer arrived
      var previous = viewName();
      var seq = navSeq;
      poppers.innerHTML = "";
      app.innerHTML = '<div class="app-loading" data-view="' + previous + '">Loading…</div>';
      // A view whose navigation was overtaken by a newer one is never drawn (as a router drops a stale answer).
      setTimeout(function () { if (seq === navSeq) { render(html, previous); } }, 200 + Math.floor(Math.random() * 400));
      return;
    }
    render(html, viewName());
  }

  function render(html, before) {
    poppers.innerHTML = "";  // the old view's teleported poppers go with it
    app.innerHTML = html;
    var after = viewName();
    mount(before !== after);
    if (before !== after) { window.scrollTo(0, 0); }
  }

  function mount(fresh) {
    app.querySelectorAll("[data-autoclose]").forEach(scheduleClose);
    var loginForm = app.querySelector("#loginForm");
    if (loginForm) {
      if (M["captcha-clears"]) { armCaptchaClears(loginForm); }
      else if (fresh) { armFieldReset(loginForm); } else { loginForm.dataset.settled = "true"; }
      var first = loginForm.querySelector("#shortCode");
      if (first && !first.value) { first.focus(); }
    }
    var otpFirst = app.querySelector('#OTP-form input[data-index="0"]');
    if (otpFirst) { otpFirst.focus(); }
    app.querySelectorAll("form").forEach(updateChannels);
    if (M["select-teleport"]) { app.querySelectorAll("[data-el-select]").forEach(teleportSelect); }
    if (M["menu-hover"]) { app.querySelectorAll("[data-sub-menu][data-popup]").forEach(mountPopupMenu); }
    var open = app.querySelector("[data-dialog]:not([hidden]) input:not([type=hidden]):not([readonly])");
    if (open) { open.focus(); }
    var notice = app.querySelector("#notice-dialog");
    if (notice && M["notice-mask"]) {  // notice-mask: the notice pops up a moment later, closable only by OK
      notice.hidden = true;
      notice.querySelectorAll(".el-dialog__headerbtn").forEach(function (x) { x.remove(); });
      setTimeout(function () { notice.hidden = false; }, 400 + Math.floor(Math.random() * 500));
    }
  }

  // confirm: "Are you sure you want to submit?" (Yes/No) before a Submit/Confirm is sent.
  function needsConfirm(form, submitter) {
    if (!M.confirm || !submitter || form.hasAttribute("data-login-form") || form.hasAttribute("data-otp-form")) {
      return false;
    }
    var text = submitter.textContent.trim();
    return text === "Submit" || text === "Confirm";
  }

  function askConfirm(form, submitter) {
    var old = document.getElementById("confirm-submit-box");
    if (old) { old.remove(); }
    var overlay = document.createElement("div");
    overlay.className = "el-overlay is-message-box";
    overlay.id = "confirm-submit-box";
    overlay.innerHTML = '<div class="el-overlay-message-box"><div class="el-message-box" role="dialog" ' +
      'aria-modal="true" aria-labelledby="confirm-submit-box-title" aria-describedby="confirm-submit-box-text">' +
      '<div class="el-message-box__header"><div class="el-message-box__title"><span id="confirm-submit-box-title">' +
      'Confirm</span></div></div><div class="el-message-box__content"><div class="el-message-box__container">' +
      '<div class="el-message-box__message"><p id="confirm-submit-box-text">Are you sure you want to submit?</p>' +
      '</div></div></div><div class="el-message-box__btns">' +
      '<button type="button" class="el-button" data-answer="no"><span>No</span></button>' +
      '<button type="button" class="el-button el-button--primary" data-answer="yes"><span>Yes</span></button>' +
      '</div></div></div>';
    overlay.addEventListener("click", function (event) {
      var answer = event.target.closest("[data-answer]");
      if (!answer) { return; }
      event.stopPropagation();
      overlay.remove();
      if (answer.dataset.answer === "yes") {
        form.dataset.confirmed = "true";
        form.requestSubmit(submitter);
      }
    });
    document.body.appendChild(overlay);
  }

  // The live portal's Vue form re-initialises its model while the captcha is read, wiping what was typed.
  // Reproduced once per visit of the login view: a moment after the captcha image has loaded, the short code,
  // user name and password are cleared, unless the verification code is being typed already (the reset happens
  // while the captcha is read, not after). Automation that fills every field, checks them and then clicks Login
  // is safe; automation that fills the credentials first and reads the captcha afterwards loses them.
  // (data-settled is a sandbox-only marker for tests; the live portal has none.)
  function armFieldReset(form) {
    var image = form.querySelector("img.verifyCode-img-item");
    var code = form.querySelector("#verifyCode");
    var done = false;
    var reset = function () {
      if (done || !form.isConnected) { return; }
      done = true;
      setTimeout(function () {
        if (!form.isConnected) { return; }
        if (code && code.value !== "") { form.dataset.settled = "true"; return; }
        ["shortCode", "userAccount", "password"].forEach(function (id) {
          var input = form.querySelector("#" + id);
          if (input) { input.value = ""; input.dispatchEvent(new Event("input", { bubbles: true })); }
        });
        form.dataset.settled = "true";
      }, RESET_DELAY_MS);
    };
    if (!image) { form.dataset.settled = "true"; return; }
    if (image.complete && image.naturalWidth > 0) { reset(); }
    else { image.addEventListener("load", reset, { once: true }); }
  }

  // captcha-clears: every time the captcha image loads (the first picture, a refresh, the new picture after a
  // refused code), the login fields are all cleared once, a moment later, whatever was typed (the verification code
  // too). A person who typed early types again; automation must see the emptied fields and fill them again.
  function armCaptchaClears(form) {
    var image = form.querySelector("img.verifyCode-img-item");
    if (!image) { form.dataset.settled = "true"; return; }
    var loaded = function () {
      delete form.dataset.settled;
      setTimeout(function () {
        if (!form.isConnected) { return; }
        ["shortCode", "userAccount", "password", "verifyCode"].forEach(function (id) {
          var input = form.querySelector("#" + id);
          if (input) { input.value = ""; input.dispatchEvent(new Event("input", { bubbles: true })); }
        });
        form.dataset.settled = "true";
      }, 150 + Math.floor(Math.random() * 450));
    };
    image.addEventListener("load", loaded);
    if (image.complete && image.naturalWidth > 0) { loaded(); }
  }

  // ------------------------------------------------------------------------------------------- form helpers
  function clearFieldError(input) {
    var item = input.closest(".el-form-item");
    if (!item) { return; }
    var error = item.querySelector(".el-form-item__error[data-client]");
    if (error) { error.remove(); }
    item.classList.remove("is-error");
    input.removeAttribute("aria-invalid");
  }

  function validateRequired(form) {
    var ok = true;
    form.querySelectorAll("input[data-required-message]").forEach(function (input) {
      clearFieldError(input);
      if (input.value.trim() !== "") { return; }
      ok = false;
      var item = input.closest(".el-form-item");
      var error = document.createElement("div");
      error.className = "el-form-item__error";
      error.dataset.client = "true";
      error.id = input.id + "-error";
      error.textContent = input.dataset.requiredMessage;
      item.querySelector(".el-form-item__content").appendChild(error);
      item.classList.add("is-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", error.id);
    });
    return ok;
  }

  function otpBoxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[data-index]")).sort(function (a, b) {
      return Number(a.dataset.index) - Number(b.dataset.index);
    });
  }

  function otpValue(form) {
    return otpBoxes(form).map(function (box) { return box.value; }).join("");
  }

  function spreadOtp(box, digits) {
    var boxes = otpBoxes(box.form);
    var index = Number(box.dataset.index);
    for (var i = 0; i < digits.length && index + i < boxes.length; i++) { boxes[index + i].value = digits.charAt(i); }
    boxes[Math.min(index + digits.length, boxes.length - 1)].focus();
  }

  function updateChannels(form) {
    var channels = form.querySelectorAll("[data-channel]");
    if (!channels.length) { return; }
    var any = Array.prototype.some.call(channels, function (box) { return box.checked; });
    form.querySelectorAll("[data-needs-channel]").forEach(function (row) { row.hidden = !any; });
  }

  // ------------------------------------------------------------------------------------------- widgets
  function openDialog(id) {
    var overlay = document.getElementById(id);
    if (!overlay) { return; }
    overlay.hidden = false;
    var field = overlay.querySelector("input:not([type=hidden]):not([readonly]), textarea, button");
    if (field) { field.focus(); }
  }

  function closeDialog(id) {
    var overlay = document.getElementById(id);
    if (overlay) { overlay.hidden = true; }
  }

  function comboboxOf(select) { return select.querySelector("[role=combobox]"); }

  // The dropdown of a select: inside it, or (select-teleport) in its popper at the end of <body>.
  function dropdownOf(select) {
    var inside = select.querySelector(".el-select-dropdown");
    if (inside) { return inside; }
    var listbox = document.getElementById(comboboxOf(select).getAttribute("aria-controls"));
    return listbox ? listbox.closest(".el-select-dropdown") : null;
  }

  // The select an option belongs to (its dropdown may have been teleported).
  function selectOf(option) {
    var inside = option.closest("[data-el-select]");
    if (inside) { return inside; }
    var listbox = option.closest("[role=listbox]");
    var combobox = listbox && app.querySelector('[aria-controls="' + listbox.id + '"]');
    return combobox ? combobox.closest("[data-el-select]") : null;
  }

  function teleportSelect(select) {
    var dropdown = select.querySelector(".el-select-dropdown");
    if (!dropdown) { return; }
    var popper = document.createElement("div");
    popper.className = "el-popper is-light el-select__popper";
    popper.appendChild(dropdown);
    poppers.appendChild(popper);
  }

  function placePopper(popper, rect, below) {
    popper.style.top = (window.scrollY + (below ? rect.bottom + 6 : rect.top)) + "px";
    popper.style.left = (window.scrollX + (below ? rect.left : rect.right + 4)) + "px";
    if (below) { popper.style.minWidth = rect.width + "px"; }
  }

  function closeSelects(except) {
    app.querySelectorAll("[data-el-select]").forEach(function (select) {
      if (select === except) { return; }
      var dropdown = dropdownOf(select);
      if (dropdown && !dropdown.hidden) {
        dropdown.hidden = true;
        select.classList.remove("is-focused");
        select.querySelector("[role=combobox]").setAttribute("aria-expanded", "false");
      }
    });
  }

  function toggleSelect(select) {
    var dropdown = dropdownOf(select);
    var opening = dropdown.hidden;
    closeSelects(select);
    if (opening && !select.contains(dropdown)) {
      placePopper(dropdown.parentElement, select.querySelector(".el-select__wrapper").getBoundingClientRect(), true);
    }
    dropdown.hidden = !opening;
    select.classList.toggle("is-focused", opening);
    select.querySelector("[role=combobox]").setAttribute("aria-expanded", opening ? "true" : "false");
  }

  function choose(select, option) {
    var value = option.dataset.value;
    var hidden = select.querySelector("[data-select-value]");
    hidden.value = value;
    var shown = select.querySelector("[data-select-shown]");
    if (shown) {  // select-teleport: the choice shows in a span; the combobox input stays empty
      shown.textContent = option.textContent.trim() || comboboxOf(select).dataset.placeholder || "Select";
      shown.parentElement.classList.toggle("is-transparent", value === "");
    } else {
      comboboxOf(select).value = value === "" ? "" : option.textContent.trim();
    }
    dropdownOf(select).querySelectorAll("[role=option]").forEach(function (item) {
      var on = item === option;
      item.classList.toggle("is-selected", on);
      item.setAttribute("aria-selected", on ? "true" : "false");
    });
    toggleSelect(select);
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function toggleSubMenu(subMenu) {
    var inline = subMenu.querySelector(".el-menu--inline");
    var opening = !subMenu.classList.contains("is-opened");
    subMenu.classList.toggle("is-opened", opening);
    subMenu.setAttribute("aria-expanded", opening ? "true" : "false");
    if (inline) { inline.hidden = !opening; }
  }

  // menu-hover: the sub-menu's popup (moved to the end of <body>) opens a moment after the pointer enters the title
  // and closes a moment after it leaves both the title and the popup (Element Plus's popup sub-menus).
  function mountPopupMenu(subMenu) {
    var popup = app.querySelector("#" + subMenu.dataset.popup);
    if (!popup) { return; }
    poppers.appendChild(popup);
    var timer = null;
    var setOpen = function (open) {
      if (open) {
        app.querySelectorAll("[data-sub-menu].is-opened").forEach(function (other) {
          if (other !== subMenu) { other.dispatchEvent(new Event("menu-close")); }
        });
        placePopper(popup, subMenu.getBoundingClientRect(), false);
      }
      popup.hidden = !open;
      subMenu.classList.toggle("is-opened", open);
      subMenu.setAttribute("aria-expanded", open ? "true" : "false");
    };
    var later = function (open) {
      clearTimeout(timer);
      timer = setTimeout(function () { if (subMenu.isConnected) { setOpen(open); } }, open ? MENU_SHOW_MS : MENU_HIDE_MS);
    };
    subMenu.addEventListener("menu-close", function () { clearTimeout(timer); setOpen(false); });
    [subMenu, popup].forEach(function (element) {
      element.addEventListener("mouseenter", function () { later(true); });
      element.addEventListener("mouseleave", function () { later(false); });
    });
  }

  function refreshCaptcha() {
    var image = app.querySelector("img.verifyCode-img-item");
    if (image) { image.src = image.src.replace(/([?&]ts=)[^&]*/, "$1" + Date.now()); }
  }

  function pickerSearch(dialog) {
    var wanted = (dialog.querySelector("#pickerShortCode") || { value: "" }).value.trim();
    var first = null;
    dialog.querySelectorAll("[data-picker-row]").forEach(function (row) {
      var show = row.dataset.shortcode.indexOf(wanted) >= 0;
      row.hidden = !show;
      if (show && first === null) { first = row; }
    });
    if (first) { first.querySelector("input[type=radio]").checked = true; }
    var empty = dialog.querySelector("[data-picker-empty]");
    if (empty) { empty.hidden = first !== null; }
  }

  function pickerConfirm(dialog) {
    var chosen = dialog.querySelector("input[type=radio]:checked");
    var target = app.querySelector("#searchShortCode");
    if (chosen && target && !chosen.closest("[hidden]")) { target.value = chosen.value; }
    dialog.hidden = true;
  }

  function showTab(tab) {
    var tabs = tab.closest("[data-tabs]");
    tabs.querySelectorAll("[data-tab]").forEach(function (other) {
      var on = other === tab;
      other.classList.toggle("is-active", on);
      other.setAttribute("aria-selected", on ? "true" : "false");
      var pane = document.getElementById(other.dataset.tab);
      if (pane) { pane.hidden = !on; }
    });
  }

  // ------------------------------------------------------------------------------------------- events
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var option = target.closest("[role=option]");
    var select = target.closest("[data-el-select]") || (option ? selectOf(option) : null);
    if (select && option) { choose(select, option); return; }
    if (select && target.closest(".el-select__wrapper")) { toggleSelect(select); return; }
    closeSelects(null);
    var opener = target.closest("[data-dialog-open]");
    if (opener) {
      if (!opener.disabled) { openDialog(opener.dataset.dialogOpen); }
      return;
    }
    var closer = target.closest("[data-dialog-close]");
    if (closer) { closeDialog(closer.dataset.dialogClose); return; }
    var title = target.closest("[data-sub-menu-title]");
    if (title) {
      if (!M["menu-hover"]) { toggleSubMenu(title.parentElement); }  // menu-hover: only hovering opens it
      return;
    }
    if (target.closest("[data-captcha-refresh]") || target.closest("img.verifyCode-img-item")) { refreshCaptcha(); return; }
    var search = target.closest("[data-org-picker-search]");
    if (search) { pickerSearch(search.closest("[data-dialog]")); return; }
    var confirm = target.closest("[data-org-picker-confirm]");
    if (confirm) { pickerConfirm(confirm.closest("[data-dialog]")); return; }
    var tab = target.closest("[data-tab]");
    if (tab) { showTab(tab); return; }
    var link = HISTORY ? target.closest("a[href^='/']") : null;
    if (link && app.contains(link)) { event.preventDefault(); navigate(link.getAttribute("href")); return; }
    var routed = target.closest("[data-route]");
    if (routed && !routed.disabled) { event.preventDefault(); navigate(routed.dataset.route); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !app.contains(form)) { return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    if (form.dataset.routeForm) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (typeof value === "string" && value !== "") { params.append(key, value); }
      });
      var query = params.toString();
      navigate(form.dataset.routeForm + (query ? "?" + query : ""));
      return;
    }
    if (form.dataset.confirmed !== "true" && needsConfirm(form, submitter)) { askConfirm(form, submitter); return; }
    delete form.dataset.confirmed;
    var skip = submitter && submitter.hasAttribute("data-skip-validation");
    if (form.hasAttribute("data-login-form") && !validateRequired(form)) { return; }
    if (form.hasAttribute("data-otp-form") && !skip) {
      var error = form.querySelector("[data-required-error]");
      var complete = /^\d{6}$/.test(otpValue(form));
      if (error) { error.hidden = complete; }
      if (!complete) { return; }
    }
    var data = new FormData(form, submitter);
    if (form.hasAttribute("data-otp-form")) { data.set("otp", otpValue(form)); }
    var box = submitter && submitter.closest(".is-message-box");
    if (box) { box.hidden = true; }  // a confirmation closes as soon as it is answered
    post(form, data);
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) { return; }
    if (target.matches("#OTP-form input[data-index]")) {
      var digits = target.value.replace(/\D/g, "");
      if (digits.length > 1) { spreadOtp(target, digits); }
      else {
        target.value = digits;
        var boxes = otpBoxes(target.form);
        var index = Number(target.dataset.index);
        if (digits && index < boxes.length - 1) { boxes[index + 1].focus(); }
      }
      return;
    }
    if (target.hasAttribute("data-required-message") && target.value.trim() !== "") { clearFieldError(target); }
  });

  document.addEventListener("paste", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.matches("#OTP-form input[data-index]")) { return; }
    var digits = ((event.clipboardData && event.clipboardData.getData("text")) || "").replace(/\D/g, "");
    if (digits) { event.preventDefault(); spreadOtp(target, digits); }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) { return; }
    if (target.type === "checkbox") {
      var label = target.closest(".el-checkbox");
      if (label) { label.classList.toggle("is-checked", target.checked); }
    }
    if (target.type === "radio" && target.form) {
      target.form.querySelectorAll('input[type=radio][name="' + target.name + '"]').forEach(function (radio) {
        var wrap = radio.closest(".el-radio");
        if (wrap) { wrap.classList.toggle("is-checked", radio.checked); }
      });
    }
    if (target.hasAttribute("data-channel") && target.form) { updateChannels(target.form); }
    if (target.dataset.selectAll) {
      target.closest("table").querySelectorAll('input[name="' + target.dataset.selectAll + '"]:not(:disabled)')
        .forEach(function (box) { box.checked = target.checked; });
    }
    if (target.dataset.autosubmitAction && target.form) {
      var data = new FormData(target.form);
      data.set("action", target.dataset.autosubmitAction);
      post(target.form, data);
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape") {
      closeSelects(null);
      var open = app.querySelectorAll("[data-dialog]:not([hidden])");
      if (open.length) { open[open.length - 1].hidden = true; }
      return;
    }
    if (!(target instanceof HTMLElement)) { return; }
    if (target.matches("[role=combobox]") && (event.key === "Enter" || event.key === " " || event.key === "ArrowDown")) {
      event.preventDefault();
      toggleSelect(target.closest("[data-el-select]"));
      return;
    }
    if (target.matches("#OTP-form input[data-index]") && event.key === "Backspace" && !target.value) {
      var boxes = otpBoxes(target.form);
      var index = Number(target.dataset.index);
      if (index > 0) { boxes[index - 1].focus(); }
      return;
    }
    if (event.key === "Enter" && (target.matches("[data-route]") || target.matches("[data-sub-menu-title]"))) {
      event.preventDefault();
      target.click();
      return;
    }
    // Element Plus forms do not submit when Enter is pressed in a field (only the login and search forms here do).
    var form = target instanceof HTMLInputElement ? target.form : null;
    if (event.key === "Enter" && form && !form.hasAttribute("data-login-form") && !form.hasAttribute("data-otp-form") &&
        !form.dataset.routeForm) {
      event.preventDefault();
    }
  });

  function routeChanged() {
    var route = currentRoute();
    var path = route.split("?")[0];
    // Like Vue Router, a new query on the route already shown keeps the login component (and its captcha).
    if (path === "/login" && (viewName() === "login" || viewName() === "otp")) { return; }
    load(viewUrl(route), { method: "GET" }, "replace");
  }
  window.addEventListener(HISTORY ? "popstate" : "hashchange", routeChanged);
  load(viewUrl(currentRoute()), { method: "GET" }, "replace");
})();
