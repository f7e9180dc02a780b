// Keyward's WebAuthn glue: the only script the portal runs. It turns the server's JSON options
// into the browser's WebAuthn calls and sends the answers back. Elements opt in with
// data-webauthn="register|second-factor|passkey"; the CSRF token comes from data-csrf, and
// data-begin/data-finish name other endpoints than the console's (a directory sign-in's).
"use strict";

(function () {
  const b64url = {
    decode(text) {
      const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
      const padded = base64 + "===".slice((base64.length + 3) % 4);
      return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
    },
    encode(buffer) {
      const bytes = new Uint8Array(buffer);
      let text = "";
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
  };

  function creationOptions(options) {
    const pk = options.publicKey;
    pk.challenge = b64url.decode(pk.challenge);
    pk.user.id = b64url.decode(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => (c.id = b64url.decode(c.id)));
    return { publicKey: pk };
  }

  function requestOptions(options) {
    const pk = options.publicKey;
    pk.challenge = b64url.decode(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => (c.id = b64url.decode(c.id)));
    const request = { publicKey: pk };
    if (options.mediation) request.mediation = options.mediation;
    return request;
  }

  function registration(credential) {
    return {
      id: credential.id,
      rawId: b64url.encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: {
        attestationObject: b64url.encode(credential.response.attestationObject),
        clientDataJSON: b64url.encode(credential.response.clientDataJSON),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
    };
  }

  function assertion(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: b64url.encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: {
        authenticatorData: b64url.encode(r.authenticatorData),
        clientDataJSON: b64url.encode(r.clientDataJSON),
        signature: b64url.encode(r.signature),
        userHandle: r.userHandle ? b64url.encode(r.userHandle) : null,
      },
    };
  }

  async function post(url, csrf, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "The request failed (" + response.status + ").");
    return data;
  }

  // What a failed ceremony says, in words: the browser's own errors name a DOM exception,
  // not what the person should do next. `what` names the ceremony ("Passkey sign-in").
  function inWords(e, what, fallback) {
    switch (e && e.name) {
      case "NotAllowedError":
      case "AbortError":
        return what + " was cancelled. " + fallback;
      case "InvalidStateError":
        return "This security key or passkey is registered already.";
      case "SecurityError":
        return what + " is not allowed on this address. Use the address in the sign-in URL.";
      case "NotSupportedError":
        return "This browser or device cannot use a security key or passkey here.";
      default:
        return (e && e.message) || String(e);
    }
  }

  function show(element, message) {
    const target = document.getElementById(element.dataset.status || "webauthn-status");
    if (target) {
      target.textContent = message;
      target.hidden = false;
    }
  }

  function unsupported(element) {
    if (!window.PublicKeyCredential) {
      show(element, "This browser does not support security keys or passkeys.");
      return true;
    }
    return false;
  }

  // Registering a security key or passkey from the MFA page: a form with a name field.
  async function register(form) {
    if (unsupported(form)) return;
    const csrf = form.dataset.csrf;
    const kind = form.dataset.kind;
    const name = form.querySelector("input[name=name]").value;
    try {
      const options = await post(form.dataset.begin || "/console/mfa/webauthn/begin", csrf, { kind: kind });
      const credential = await navigator.credentials.create(creationOptions(options));
      const done = await post(form.dataset.finish || "/console/mfa/webauthn/finish", csrf, {
        name: name,
        credential: registration(credential),
      });
      window.location.assign(done.redirect);
    } catch (e) {
      show(form, inWords(e, "Adding the security key or passkey", "Try again when you are ready."));
    }
  }

  // The second step with a security key, after the password.
  async function secondFactor(button) {
    if (unsupported(button)) return;
    const csrf = button.dataset.csrf;
    try {
      const options = await post(button.dataset.begin || "/signin/mfa/webauthn/begin", csrf, {});
      const credential = await navigator.credentials.get(requestOptions(options));
      const done = await post(button.dataset.finish || "/signin/mfa/webauthn/finish", csrf, {
        credential: assertion(credential),
      });
      window.location.assign(done.redirect);
    } catch (e) {
      show(button, inWords(e, "The security key check", "Try again, or use another factor."));
    }
  }

  let autofill = null;

  // Passkey sign-in: a button (a browser dialog), or the user name field's autofill where
  // the browser offers conditional mediation.
  async function passkey(element, conditional) {
    if (unsupported(element)) return;
    const csrf = element.dataset.csrf;
    if (!conditional && autofill) autofill.abort();
    const abort = new AbortController();
    if (conditional) autofill = abort;
    try {
      const options = await post("/signin/passkey/begin", csrf, { conditional: conditional });
      const request = requestOptions(options);
      request.signal = abort.signal;
      const credential = await navigator.credentials.get(request);
      const done = await post("/signin/passkey/finish", csrf, {
        conditional: conditional,
        credential: assertion(credential),
      });
      window.location.assign(done.redirect);
    } catch (e) {
      // A cancelled autofill request is not an error the person made: it says nothing.
      if (conditional && (e.name === "AbortError" || e.name === "NotAllowedError")) return;
      if (e.name === "AbortError") return;
      show(element, inWords(e, "Passkey sign-in", "Try again or sign in with your password."));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-webauthn=register]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        register(form);
      });
    });
    document.querySelectorAll("[data-webauthn=second-factor]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        secondFactor(button);
      });
    });
    document.querySelectorAll("[data-webauthn=passkey]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        passkey(button, false);
      });
      if (window.PublicKeyCredential && PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) passkey(button, true);
        });
      }
    });
  });
})();
