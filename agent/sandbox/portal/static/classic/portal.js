/* The classic skin's behaviour: closable tabs with one iframe each, menus, dialogs, small form helpers.
   Pages work without it where they can (forms post to the server); the tabs and dialogs need it.

   The markup knob (agent/sandbox/portal/markup.py; <html data-markup="axis,...">, absent in the default markup)
   changes structure only: frames-0 (no iframe: every page is a top-level page with the shell around it),
   frames-2 (each tab's page in an iframe inside an iframe), dialogs-top (dialogs open in the top document),
   confirm ("Are you sure you want to submit?" Yes/No before a Submit/Confirm), late (the page's content appears
   200-600 ms after load), inpage (forms are sent with fetch and the page body is replaced, no reload), and the
   <a role=button>/<span role=button> buttons the server writes for buttons-link/buttons-span. */
(function () {
  "use strict";

  var spec = document.documentElement.dataset.markup || "";
  var M = {};
  spec.split(",").forEach(function (axis) { if (axis) { M[axis] = true; } });
  var FRAMES = M["frames-2"] ? 2 : M["frames-0"] ? 0 : 1;
  var inFrame = window.top !== window;

  var portal = function () {
    if (window.mpesaPortal) { return window.mpesaPortal; }
    try {
      if (inFrame && window.top.mpesaPortal) { return window.top.mpesaPortal; }
    } catch (e) { /* another origin */ }
    return null;
  };

  // ---------------------------------------------------------------- tabs (the shell page only)
  var frameSrc = function (key, title, url) {
    if (FRAMES !== 2) { return url; }
    return "/nest.action?" + new URLSearchParams({ name: "tab-" + key, title: title, src: url }).toString();
  };

  var initTabs = function () {
    var tabs = document.getElementById("portal-tabs");
    if (!tabs) { return; }
    var strip = tabs.querySelector(".tab-strip");
    var panels = tabs.querySelector(".tab-panels");
    var inline = tabs.dataset.inline === "true";  // frames-0: this page is the only tab's content

    var activate = function (key) {
      if (inline) {
        if (key === "home" && tabs.dataset.current !== "home") { window.location.href = "/home.action"; }
        return;
      }
      strip.querySelectorAll(".tab").forEach(function (tab) {
        var on = tab.dataset.tabKey === key;
        tab.classList.toggle("active", on);
        tab.querySelector("[role=tab]").setAttribute("aria-selected", on ? "true" : "false");
      });
      panels.querySelectorAll(".tab-panel").forEach(function (panel) {
        panel.classList.toggle("active", panel.dataset.tabKey === key);
      });
    };

    var closeTab = function (key) {
      if (inline) {
        if (key !== "home") { window.location.href = "/home.action"; }
        return;
      }
      var tab = strip.querySelector('.tab[data-tab-key="' + key + '"]');
      var panel = panels.querySelector('.tab-panel[data-tab-key="' + key + '"]');
      if (!tab || key === "home") { return; }
      var wasActive = tab.classList.contains("active");
      var previous = tab.previousElementSibling;
      tab.remove();
      if (panel) { panel.remove(); }
      if (wasActive) { activate(previous ? previous.dataset.tabKey : "home"); }
    };

    var addTab = function (key, title, active) {
      var tab = document.createElement("li");
      tab.className = "tab" + (active ? " active" : "");
      tab.setAttribute("role", "presentation");
      tab.dataset.tabKey = key;
      var label = document.createElement("span");
      label.className = "tab-title";
      label.setAttribute("role", "tab");
      label.id = "tab-" + key;
      label.tabIndex = 0;
      label.setAttribute("aria-controls", "panel-" + key);
      if (active) { label.setAttribute("aria-selected", "true"); }
      label.title = title;
      label.textContent = title;
      var close = document.createElement("button");
      close.type = "button";
      close.className = "tab-close";
      close.setAttribute("aria-label", "Close " + title);
      close.title = "Close";
      close.textContent = "\u00d7";
      close.addEventListener("click", function (event) { event.stopPropagation(); closeTab(key); });
      tab.appendChild(label);
      tab.appendChild(close);
      strip.appendChild(tab);
    };

    var openTab = function (key, title, url) {
      if (inline) {
        try { window.sessionStorage.setItem("portalTab", JSON.stringify({ key: key, title: title })); } catch (e) { /* */ }
        window.location.href = url;
        return;
      }
      var tab = strip.querySelector('.tab[data-tab-key="' + key + '"]');
      if (tab) {
        var frame = panels.querySelector('.tab-panel[data-tab-key="' + key + '"] iframe');
        if (frame && url) { frame.src = frameSrc(key, title, url); }
        activate(key);
        return;
      }
      addTab(key, title, false);
      var panel = document.createElement("div");
      panel.className = "tab-panel";
      panel.setAttribute("role", "tabpanel");
      panel.id = "panel-" + key;
      panel.setAttribute("aria-labelledby", "tab-" + key);
      panel.dataset.tabKey = key;
      var iframe = document.createElement("iframe");
      iframe.name = "tab-" + key;
      iframe.title = title;
      iframe.src = frameSrc(key, title, url);
      panel.appendChild(iframe);
      panels.appendChild(panel);
      activate(key);
    };

    if (inline && tabs.dataset.current !== "home") {
      var current = null;
      try { current = JSON.parse(window.sessionStorage.getItem("portalTab") || "null"); } catch (e) { /* */ }
      current = current || { key: "page", title: document.title };
      strip.querySelector('.tab[data-tab-key="home"]').classList.remove("active");
      strip.querySelector("#tab-home").setAttribute("aria-selected", "false");
      addTab(current.key, current.title, true);
      tabs.querySelector(".tab-panel").setAttribute("aria-labelledby", "tab-" + current.key);
    }

    strip.addEventListener("click", function (event) {
      var tab = event.target.closest(".tab");
      if (tab && !event.target.closest(".tab-close")) { activate(tab.dataset.tabKey); }
    });
    window.mpesaPortal = { openTab: openTab, closeTab: closeTab };
  };

  // ---------------------------------------------------------------- menus
  var closeMenus = function (except) {
    document.querySelectorAll(".has-menu.open").forEach(function (item) {
      if (item !== except) {
        item.classList.remove("open");
        item.querySelector("[aria-expanded]").setAttribute("aria-expanded", "false");
      }
    });
  };

  // ---------------------------------------------------------------- dialogs
  // dialogs-top: a dialog opened in a frame is moved into the top document (with a form that posts to the frame).
  var frameWindow = function (root, name) {
    for (var i = 0; i < root.frames.length; i += 1) {
      var child = root.frames[i];
      try {
        if (child.name === name) { return child; }
        var found = frameWindow(child, name);
        if (found) { return found; }
      } catch (e) { /* another origin */ }
    }
    return null;
  };
  // The form's action property is shadowed by a control named "action" (the wizard's buttons): read the attribute.
  var formAction = function (form) {
    return new URL(form.getAttribute("action") || "", form.ownerDocument.baseURI).href;
  };
  var liftsDialogs = function () { return M["dialogs-top"] && inFrame && window.name; };
  var dropLifted = function () {
    if (!liftsDialogs()) { return; }
    window.top.document.querySelectorAll('.lifted-dialog[data-from-frame="' + window.name + '"]')
      .forEach(function (old) { old.remove(); });
  };
  var lift = function (dialog) {
    var topDoc = window.top.document;
    var form = dialog.closest("form");
    var holder;
    if (form) {
      holder = topDoc.createElement("form");
      holder.method = form.getAttribute("method") || "get";
      holder.action = formAction(form);
      holder.target = window.name;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (dialog.contains(el) || !el.name || el.disabled) { return; }
        if (/^(submit|button|reset)$/.test(el.type)) { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        var copy = topDoc.createElement("input");
        copy.type = "hidden";
        copy.name = el.name;
        copy.value = el.value;
        holder.appendChild(copy);
      });
    } else {
      holder = topDoc.createElement("div");
    }
    holder.className = "lifted-dialog";
    holder.dataset.fromFrame = window.name;
    holder.appendChild(topDoc.adoptNode(dialog));
    topDoc.body.appendChild(holder);
    return dialog;
  };
  var showDialog = function (dialog) {
    if (liftsDialogs() && dialog.ownerDocument === document) { lift(dialog); }
    dialog.hidden = false;
    var first = dialog.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, .dialog-buttons button");
    if (first) { first.focus(); }
  };
  var openDialog = function (id) {
    var dialog = document.getElementById(id);
    if (dialog) { showDialog(dialog); }
  };
  var closeDialog = function (id) {
    var dialog = document.getElementById(id);
    if (dialog) { dialog.hidden = true; }
  };

  // ---------------------------------------------------------------- buttons written as <a>/<span role=button>
  var makeButton = function (doc, text, primary) {
    var kind = M["buttons-span"] ? "span" : M["buttons-link"] ? "a" : "button";
    var el = doc.createElement(kind);
    if (kind === "button") { el.type = "button"; } else { el.setAttribute("role", "button"); el.tabIndex = 0; }
    el.className = "btn" + (primary ? " btn-primary" : "");
    el.textContent = text;
    return el;
  };
  var pressSubmit = function (form, button) {
    if (button.dataset.buttonName) {
      var value = document.createElement("input");
      value.type = "hidden";
      value.name = button.dataset.buttonName;
      value.value = button.dataset.buttonValue || "";
      value.dataset.tempSubmit = "true";
      form.appendChild(value);
    }
    form.portalSubmitter = button;
    form.requestSubmit();
  };
  var dropTemps = function (form) {
    form.querySelectorAll("[data-temp-submit]").forEach(function (el) { el.remove(); });
    form.portalSubmitter = null;
  };

  // ---------------------------------------------------------------- confirm and in-page submits
  var needsConfirm = function (submitter) {
    if (!M.confirm || !submitter || document.body.dataset.topLevel === "true") { return false; }
    var text = (submitter.textContent || submitter.value || "").trim();
    return text === "Submit" || text === "Confirm";
  };
  var askConfirm = function (form, submitter) {
    var doc = liftsDialogs() ? window.top.document : document;
    var old = doc.getElementById("confirm-submit-dialog");
    if (old) { old.remove(); }
    var backdrop = doc.createElement("div");
    backdrop.className = "dialog-backdrop";
    backdrop.id = "confirm-submit-dialog";
    backdrop.innerHTML = '<div class="dialog dialog-message" role="dialog" aria-modal="true" ' +
      'aria-labelledby="confirm-submit-title" aria-describedby="confirm-submit-text">' +
      '<div class="dialog-title"><span id="confirm-submit-title">Confirm</span></div>' +
      '<div class="dialog-body"><div class="msg-icon msg-question" aria-hidden="true"></div>' +
      '<p id="confirm-submit-text" class="msg-text">Are you sure you want to submit?</p></div>' +
      '<div class="dialog-buttons"></div></div>';
    var yes = makeButton(doc, "Yes", true);
    var no = makeButton(doc, "No", false);
    backdrop.querySelector(".dialog-buttons").appendChild(yes);
    backdrop.querySelector(".dialog-buttons").appendChild(no);
    var answer = function (ok) {
      backdrop.remove();
      if (!ok) { dropTemps(form); return; }
      form.portalConfirmed = true;
      if (submitter && submitter.form === form && submitter.type === "submit") { form.requestSubmit(submitter); } else { form.requestSubmit(); }
    };
    yes.addEventListener("click", function (event) { event.preventDefault(); event.stopPropagation(); answer(true); });
    no.addEventListener("click", function (event) { event.preventDefault(); event.stopPropagation(); answer(false); });
    doc.body.appendChild(backdrop);
    yes.focus();
  };

  var swapIn = function (html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    if (doc.body.dataset.topLevel === "true" && inFrame) { window.top.location.href = url; return; }
    dropLifted();
    if (url) { window.history.replaceState(null, "", url); }
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    start();
  };
  var fetchInPage = function (method, action, params) {
    var init = { method: method, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } };
    var url = action;
    if (method === "GET") {
      url = action.split("?")[0] + "?" + params.toString();
    } else {
      init.body = params;
    }
    return window.fetch(url, init).then(function (response) {
      return response.text().then(function (html) { swapIn(html, response.url); });
    }).catch(function () { /* a dropped reply: the page stays as it was */ });
  };
  window.portalFetchInPage = fetchInPage;
  var submitInPage = function (form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name && submitter.type === "submit") { data.append(submitter.name, submitter.value); }
    var params = new URLSearchParams();
    data.forEach(function (value, key) { params.append(key, String(value)); });
    dropTemps(form);
    var method = (form.getAttribute("method") || "get").toUpperCase();
    var target = form.getAttribute("target");
    if (target) {  // a lifted dialog's form: the frame it came from fetches
      var holder = form.closest(".lifted-dialog");
      var owner = frameWindow(window, target);
      if (holder) { holder.remove(); }
      if (owner && owner.portalFetchInPage) { owner.portalFetchInPage(method, formAction(form), params); return; }
    }
    fetchInPage(method, formAction(form), params);
  };

  // ---------------------------------------------------------------- document listeners (bound once)
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest('[aria-disabled="true"]')) { event.preventDefault(); return; }

    var fake = target.closest("[data-button-type]");
    if (fake && fake.dataset.buttonType === "submit") {
      var owner = fake.dataset.buttonForm ? document.getElementById(fake.dataset.buttonForm) : fake.closest("form");
      event.preventDefault();
      if (owner) { pressSubmit(owner, fake); }
      return;
    }

    var menuButton = target.closest(".has-menu > button, .has-menu > [role=menuitem][aria-haspopup]");
    if (menuButton) {
      var item = menuButton.parentElement;
      closeMenus(item);
      item.classList.add("open");
      menuButton.setAttribute("aria-expanded", "true");
      return;
    }
    if (!target.closest(".has-menu")) { closeMenus(null); }

    var opener = target.closest("[data-open-tab]");
    if (opener && !opener.disabled) {
      var url = opener.getAttribute("href") || opener.dataset.href;
      var title = opener.dataset.tabTitle || opener.textContent.trim();
      var shell = portal();
      event.preventDefault();
      closeMenus(null);
      if (shell) { shell.openTab(opener.dataset.openTab, title, url); } else { window.location.href = url; }
      return;
    }

    var dialogOpener = target.closest("[data-dialog-open]");
    if (dialogOpener && !dialogOpener.disabled) {
      event.preventDefault();
      openDialog(dialogOpener.dataset.dialogOpen);
      return;
    }

    var closer = target.closest("[data-close-tab-on-click]");
    if (closer) {
      var key = closer.dataset.closeTabOnClick;
      if (portal()) { portal().closeTab(key); } else { window.location.href = "/browseOrg/operators.action"; }
    }

    var dialogCloser = target.closest("[data-dialog-close]");
    if (dialogCloser && dialogCloser.type !== "submit" && dialogCloser.dataset.buttonType !== "submit") {
      closeDialog(dialogCloser.dataset.dialogClose);
    }

    // ARIA checkboxes (checkbox-aria): clicking the box or its named text toggles it.
    var text = target.closest("[data-check-text-for]");
    var box = text ? document.getElementById(text.dataset.checkTextFor) : target.closest("span[role=checkbox]");
    if (box) { setAriaCheck(box, !isChecked(box)); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
      document.querySelectorAll(".dialog-backdrop:not([hidden])").forEach(function (d) { d.hidden = true; });
      return;
    }
    var el = event.target;
    if (!el.closest) { return; }
    var box = el.closest("span[role=checkbox]");
    if (box && (event.key === " " || event.key === "Spacebar")) {
      event.preventDefault();
      setAriaCheck(box, !isChecked(box));
      return;
    }
    var fake = el.closest("[role=button]:not(button), span[role=link]");
    if (fake && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      fake.click();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || form.portalSubmitter || null;
    if (!form.portalConfirmed && needsConfirm(submitter)) {
      event.preventDefault();
      askConfirm(form, submitter);
      return;
    }
    form.portalConfirmed = false;
    if (M.inpage) {
      event.preventDefault();
      submitInPage(form, submitter);
    }
  });

  // ---------------------------------------------------------------- form helpers
  var isChecked = function (box) {
    return box.getAttribute("role") === "checkbox" ? box.getAttribute("aria-checked") === "true" : box.checked;
  };
  var setAriaCheck = function (box, on) {
    if (box.getAttribute("aria-disabled") === "true") { return; }
    box.setAttribute("aria-checked", on ? "true" : "false");
    var value = box.ownerDocument.getElementById(box.id + "-value");
    if (value) { value.disabled = !on; }
    box.dispatchEvent(new Event("change", { bubbles: true }));
  };

  var initForms = function () {
    // Access Channel: the User Name row appears once a channel is ticked.
    var channels = document.querySelectorAll("[data-channel]");
    var needsChannel = document.querySelector("[data-needs-channel]");
    var syncChannels = function () {
      if (!needsChannel) { return; }
      var any = Array.prototype.some.call(channels, isChecked);
      needsChannel.hidden = !any;
    };
    channels.forEach(function (c) { c.addEventListener("change", syncChannels); });
    syncChannels();

    // "Select all" header checkboxes.
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        var form = all.form || document;
        var name = all.dataset.selectAll;
        form.querySelectorAll('input[type=checkbox][name="' + name + '"]:not([disabled])')
          .forEach(function (box) { box.checked = all.checked; });
        form.querySelectorAll('span[role=checkbox][data-check-name="' + name + '"]')
          .forEach(function (box) { setAriaCheck(box, all.checked); });
      });
    });

    // Selects that submit their form when changed (page size), and checkboxes that submit with an action.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    document.querySelectorAll("input[data-autosubmit-action]").forEach(function (box) {
      box.addEventListener("change", function () {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "action";
        hidden.value = box.dataset.autosubmitAction;
        box.form.appendChild(hidden);
        box.form.requestSubmit();
      });
    });

    // The captcha's refresh control loads a new image (and so a new code).
    var refresh = document.getElementById("captchaRefresh");
    var image = document.getElementById("captchaImage");
    if (refresh && image) {
      refresh.addEventListener("click", function () {
        image.src = image.src.split("?")[0] + "?ts=" + Date.now();
      });
    }
  };

  // ---------------------------------------------------------------- start (again after an in-page swap)
  var init = function () {
    var body = document.body;
    // Login-type pages never live inside a tab: break out of the frame.
    if (body.dataset.topLevel === "true" && inFrame) {
      window.top.location.href = window.location.href;
      return;
    }
    dropLifted();
    initTabs();
    // A page that asks to close its own tab (e.g. a cancelled wizard).
    if (body.dataset.closeTab && portal()) {
      portal().closeTab(body.dataset.closeTab);
    }
    initForms();
    if (liftsDialogs()) {
      document.querySelectorAll(".dialog-backdrop:not([hidden])").forEach(function (d) { lift(d); });
    }
  };

  // late: the server sends the page's content in <template data-late>; it appears 200-600 ms after load.
  var start = function () {
    var late = document.querySelector("template[data-late]");
    if (!late) { init(); return; }
    window.setTimeout(function () {
      late.replaceWith(late.content.cloneNode(true));
      init();
    }, 200 + Math.floor(Math.random() * 400));
  };
  start();
})();
