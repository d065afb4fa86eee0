// The application form: conditional fields (show_if), the Thai address selects, and autosave of the draft.
// No inline script (CSP): everything hangs off data- attributes the server renders.
(function () {
  "use strict";
  var form = document.getElementById("eform");
  if (!form) return;

  // --- show_if -------------------------------------------------------------------------------------
  function valueOf(name) {
    var els = form.querySelectorAll('[name="' + name + '"]');
    if (!els.length) return "";
    var el = els[0];
    if (el.type === "checkbox") return el.checked ? "true" : "";
    return el.value.trim();
  }
  function shown(wrapper, depth) {
    var field = wrapper.getAttribute("data-show-field");
    if (!field || depth > 10) return true;
    var scopeName = field;
    var id = wrapper.id.replace(/^w-/, "");
    var dot = id.lastIndexOf(".");
    if (dot > 0) { // inside a group item: a sibling of the same item first
      var sibling = id.slice(0, dot + 1) + field;
      if (form.querySelector('[name="' + sibling + '"]')) scopeName = sibling;
    }
    var controlling = document.getElementById("w-" + scopeName);
    if (controlling && !shown(controlling, depth + 1)) return false;
    var value = valueOf(scopeName);
    var wanted = wrapper.getAttribute("data-show-values");
    if (!wanted) return value !== "";
    try { return JSON.parse(wanted).indexOf(value) !== -1; } catch (e) { return true; }
  }
  function applyConditions() {
    form.querySelectorAll("[data-show-field]").forEach(function (w) { w.hidden = !shown(w, 0); });
  }

  // --- Thai address: province → district → subdistrict → postcode -----------------------------------
  var addressUrl = form.getAttribute("data-address-url");
  function fill(select, options) {
    var keep = select.value;
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = ""; blank.textContent = "—";
    select.appendChild(blank);
    options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.textContent = o; opt.value = o;
      if (o === keep) opt.selected = true;
      select.appendChild(opt);
    });
  }
  function onAddress(event) {
    var el = event.target;
    var box = el.closest("[data-address]");
    if (!box || !addressUrl) return;
    var name = box.getAttribute("data-address");
    var part = el.getAttribute("data-part");
    var get = function (p) { return box.querySelector('[name="' + name + "." + p + '"]'); };
    var params = new URLSearchParams({ province: get("province").value });
    var next;
    if (part === "province") { next = "district"; fill(get("district"), []); fill(get("subdistrict"), []); get("postcode").value = ""; }
    else if (part === "district") { next = "subdistrict"; params.set("district", get("district").value); fill(get("subdistrict"), []); get("postcode").value = ""; }
    else if (part === "subdistrict") { next = "postcode"; params.set("district", get("district").value); params.set("subdistrict", get("subdistrict").value); }
    else return;
    if (!el.value) return;
    fetch(addressUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (next === "postcode") {
          var codes = data.postcode || [];
          var list = document.getElementById("l-" + name + ".postcode");
          if (list) { list.innerHTML = ""; codes.forEach(function (c) { var o = document.createElement("option"); o.value = c; list.appendChild(o); }); }
          if (codes.length === 1) get("postcode").value = codes[0];
        } else {
          fill(get(next), data[next] || []);
        }
      });
  }

  // --- autosave ---------------------------------------------------------------------------------------
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("eform-status");
  var dirty = form.hasAttribute("data-prefilled");
  var saving = false;
  function save() {
    if (!url || !dirty || saving) return;
    saving = true; dirty = false;
    var body = new FormData(form);
    body.delete("file");
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token ? token.value : "" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        var errors = (res.data && res.data.errors) || {};
        var bad = Object.keys(errors).length;
        if (status) status.textContent = (res.ok && !bad) ? form.getAttribute("data-saved-text") : form.getAttribute("data-failed-text");
      })
      .catch(function () { dirty = true; })
      .then(function () { saving = false; });
  }

  // --- repeatable groups: another empty entry without a round trip ----------------------------------------
  function rowsOf(group) {
    return Array.prototype.filter.call(group.children, function (el) { return el.classList.contains("eform-row"); });
  }
  function addRow(button) {
    var name = button.getAttribute("data-add-row");
    var group = button.closest("[data-group]");
    var rows = rowsOf(group);
    var max = parseInt(group.getAttribute("data-max-items") || "10", 10);
    if (!rows.length || rows.length >= max) return;
    var last = rows[rows.length - 1];
    var from = name + "." + (rows.length - 1) + ".";
    var to = name + "." + rows.length + ".";
    var copy = last.cloneNode(true);
    copy.querySelectorAll("*").forEach(function (el) {
      ["name", "id", "for", "list", "data-address", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && value.indexOf(from) !== -1) el.setAttribute(attr, value.split(from).join(to));
      });
      if (el.matches("input[type=checkbox]")) el.checked = false;
      else if (el.matches("input, textarea")) el.value = "";
      if (el.matches("select")) el.selectedIndex = 0;
      if (el.matches("select[data-part=district], select[data-part=subdistrict]")) {
        while (el.options.length > 1) el.remove(1);
      }
      el.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    last.parentNode.insertBefore(copy, button);
    if (rows.length + 1 >= max) button.hidden = true;
  }
  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    var group = button.closest("[data-group]");
    var max = parseInt(group.getAttribute("data-max-items") || "10", 10);
    button.hidden = rowsOf(group).length >= max;
    button.addEventListener("click", function () { addRow(button); });
  });

  form.addEventListener("change", function (event) { applyConditions(); onAddress(event); dirty = true; });
  form.addEventListener("input", function () { dirty = true; });
  applyConditions();
  if (url) {
    window.setInterval(save, 5000);
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(); });
  }
})();
