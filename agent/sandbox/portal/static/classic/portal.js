/* The classic skin's behaviour: closable tabs with one iframe each, menus, dialogs, small form helpers.
   Pages work without it where they can (forms post to the server); the tabs and dialogs need it. */
(function () {
  "use strict";

  var body = document.body;

  // Login-type pages never live inside a tab: break out of the frame.
  if (body.dataset.topLevel === "true" && window.top !== window) {
    window.top.location.href = window.location.href;
    return;
  }

  // ---------------------------------------------------------------- tabs (the shell page only)
  var tabs = document.getElementById("portal-tabs");
  if (tabs) {
    var strip = tabs.querySelector(".tab-strip");
    var panels = tabs.querySelector(".tab-panels");

    var activate = function (key) {
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
      var tab = strip.querySelector('.tab[data-tab-key="' + key + '"]');
      var panel = panels.querySelector('.tab-panel[data-tab-key="' + key + '"]');
      if (!tab || key === "home") { return; }
      var wasActive = tab.classList.contains("active");
      var previous = tab.previousElementSibling;
      tab.remove();
      if (panel) { panel.remove(); }
      if (wasActive) { activate(previous ? previous.dataset.tabKey : "home"); }
    };

    var openTab = function (key, title, url) {
      var tab = strip.querySelector('.tab[data-tab-key="' + key + '"]');
      if (tab) {
        var frame = panels.querySelector('.tab-panel[data-tab-key="' + key + '"] iframe');
        if (frame && url) { frame.src = url; }
        activate(key);
        return;
      }
      tab = document.createElement("li");
      tab.className = "tab";
      tab.setAttribute("role", "presentation");
      tab.dataset.tabKey = key;
      var label = document.createElement("span");
      label.className = "tab-title";
      label.setAttribute("role", "tab");
      label.id = "tab-" + key;
      label.tabIndex = 0;
      label.setAttribute("aria-controls", "panel-" + key);
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

      var panel = document.createElement("div");
      panel.className = "tab-panel";
      panel.setAttribute("role", "tabpanel");
      panel.id = "panel-" + key;
      panel.setAttribute("aria-labelledby", "tab-" + key);
      panel.dataset.tabKey = key;
      var iframe = document.createElement("iframe");
      iframe.name = "tab-" + key;
      iframe.title = title;
      iframe.src = url;
      panel.appendChild(iframe);
      panels.appendChild(panel);
      activate(key);
    };

    strip.addEventListener("click", function (event) {
      var tab = event.target.closest(".tab");
      if (tab && !event.target.closest(".tab-close")) { activate(tab.dataset.tabKey); }
    });
    window.mpesaPortal = { openTab: openTab, closeTab: closeTab };
  }

  var portal = function () {
    if (window.mpesaPortal) { return window.mpesaPortal; }
    try {
      if (window.top !== window && window.top.mpesaPortal) { return window.top.mpesaPortal; }
    } catch (e) { /* another origin */ }
    return null;
  };

  // A page that asks to close its own tab (e.g. a cancelled wizard).
  if (body.dataset.closeTab && portal()) {
    portal().closeTab(body.dataset.closeTab);
  }

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
  var openDialog = function (id) {
    var dialog = document.getElementById(id);
    if (!dialog) { return; }
    dialog.hidden = false;
    var first = dialog.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, .dialog-buttons button");
    if (first) { first.focus(); }
  };
  var closeDialog = function (id) {
    var dialog = document.getElementById(id);
    if (dialog) { dialog.hidden = true; }
  };

  document.addEventListener("click", function (event) {
    var target = event.target;

    var menuButton = target.closest(".has-menu > button");
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
    if (dialogCloser && dialogCloser.type !== "submit") {
      closeDialog(dialogCloser.dataset.dialogClose);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
      document.querySelectorAll(".dialog-backdrop:not([hidden])").forEach(function (d) { d.hidden = true; });
    }
  });

  // ---------------------------------------------------------------- form helpers
  // ARIA checkboxes (markup checkbox-aria): <span role=checkbox aria-checked> whose hidden input carries the value
  // while checked; clicking the box, its named text, or Space toggles it and fires "change".
  var isChecked = function (box) {
    return box.getAttribute("role") === "checkbox" ? box.getAttribute("aria-checked") === "true" : box.checked;
  };
  var setAriaCheck = function (box, on) {
    if (box.getAttribute("aria-disabled") === "true") { return; }
    box.setAttribute("aria-checked", on ? "true" : "false");
    var value = document.getElementById(box.id + "-value");
    if (value) { value.disabled = !on; }
    box.dispatchEvent(new Event("change", { bubbles: true }));
  };
  document.addEventListener("click", function (event) {
    var text = event.target.closest("[data-check-text-for]");
    var box = text ? document.getElementById(text.dataset.checkTextFor) : event.target.closest("span[role=checkbox]");
    if (box) { setAriaCheck(box, !isChecked(box)); }
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target.closest && event.target.closest("span[role=checkbox]");
    if (box && (event.key === " " || event.key === "Spacebar")) {
      event.preventDefault();
      setAriaCheck(box, !isChecked(box));
    }
  });

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
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("input[data-autosubmit-action]").forEach(function (box) {
    box.addEventListener("change", function () {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "action";
      hidden.value = box.dataset.autosubmitAction;
      box.form.appendChild(hidden);
      box.form.submit();
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
})();
