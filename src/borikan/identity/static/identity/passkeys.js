// Passkey ceremonies for borikan's pages (a static file: the Content-Security-Policy allows no inline script).
//
// A button with data-passkey="register" | "login" | "step-up" runs one ceremony:
//   1. POST JSON to data-begin (with the page's CSRF token) → {"publicKey": options in the WebAuthn JSON encoding};
//   2. navigator.credentials.create/get with PublicKeyCredential.parse{Creation,Request}OptionsFromJSON(options);
//   3. POST {"credential": credential.toJSON(), ...} to data-complete → {"redirect": url}, then go there.
// Errors from the server are problem+json; their `detail` is shown in #passkey-status (already in the page's
// language). The status element's data-* attributes carry the translated messages used here.
(function () {
  "use strict";

  var statusBox = document.getElementById("passkey-status");

  function say(text, isError) {
    if (!statusBox) return;
    statusBox.textContent = text || "";
    statusBox.classList.toggle("error", Boolean(isError));
  }

  function message(name) {
    return statusBox ? statusBox.dataset[name] || "" : "";
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function supported() {
    return Boolean(
      window.PublicKeyCredential &&
        typeof window.PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
        typeof window.PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
        navigator.credentials
    );
  }

  async function postJSON(url, body) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body || {}),
    });
    var data = {};
    try {
      data = await response.json();
    } catch (ignored) {
      data = {};
    }
    if (!response.ok) {
      var error = new Error(data.detail || data.title || message("failed"));
      error.fromServer = true;
      throw error;
    }
    return data;
  }

  function valueOf(id) {
    var input = id ? document.getElementById(id) : null;
    return input ? input.value : "";
  }

  async function register(button) {
    var begun = await postJSON(button.dataset.begin, {});
    var options = window.PublicKeyCredential.parseCreationOptionsFromJSON(begun.publicKey);
    var credential = await navigator.credentials.create({ publicKey: options });
    return postJSON(button.dataset.complete, {
      credential: credential.toJSON(),
      name: valueOf(button.dataset.nameInput),
    });
  }

  async function authenticate(button) {
    var begun = await postJSON(button.dataset.begin, { email: valueOf(button.dataset.emailInput) });
    var options = window.PublicKeyCredential.parseRequestOptionsFromJSON(begun.publicKey);
    var credential = await navigator.credentials.get({ publicKey: options });
    return postJSON(button.dataset.complete, {
      credential: credential.toJSON(),
      next: button.dataset.next || "",
    });
  }

  async function run(button) {
    if (!supported()) {
      say(message("unsupported"), true);
      return;
    }
    button.disabled = true;
    say(message("working"), false);
    try {
      var done = button.dataset.passkey === "register" ? await register(button) : await authenticate(button);
      window.location.assign(done.redirect || window.location.href);
    } catch (error) {
      if (error && error.fromServer) {
        say(error.message, true);
      } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
        say(message("cancelled"), true);
      } else {
        say(message("failed"), true);
      }
      button.disabled = false;
    }
  }

  document.querySelectorAll("button[data-passkey]").forEach(function (button) {
    if (!supported()) {
      say(message("unsupported"), true);
    }
    button.addEventListener("click", function () {
      run(button);
    });
  });
})();
