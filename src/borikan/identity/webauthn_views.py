"""Pages for passkeys: manage them, sign in with one, confirm a session with one (step-up).

The ceremonies run in the browser (static/identity/passkeys.js): it POSTs JSON, with the CSRF token, to the
`*_begin` endpoints for the options, calls WebAuthn, and POSTs `credential.toJSON()` to `*_complete`. The pending
challenge is kept in the session (identity/webauthn.py). Errors come back as problem+json.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from borikan.core.errors import ApplicationError

from . import authn, webauthn
from .throttle import TooManyAttempts

PAGE = "page"


def _safe_next(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _problem(error: ApplicationError) -> JsonResponse:
    response = JsonResponse(error.as_problem(), status=error.status, content_type="application/problem+json")
    if isinstance(error, TooManyAttempts):
        response["Retry-After"] = str(error.retry_after)
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":  # a form post's body was already read as form fields
        raise webauthn.PasskeyRefused("passkey_malformed")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise webauthn.PasskeyRefused("passkey_malformed") from None
    if not isinstance(data, dict):
        raise webauthn.PasskeyRefused("passkey_malformed")
    return data


def _json_endpoint(handler):
    """POST only; ApplicationError → problem+json."""

    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        try:
            return JsonResponse(handler(request))
        except ApplicationError as error:
            return _problem(error)

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


# --- pages ---------------------------------------------------------------------------------------------------


@require_GET
def passkeys(request: HttpRequest) -> HttpResponse:
    aal = authn.assurance_of(request.user).aal
    context = {
        "passkeys": webauthn.passkeys_of(request.user),
        "aal": aal,
        "may_remove": aal >= webauthn.SECOND_FACTOR_AAL,
        "must_step_up_to_add": webauthn.has_second_factor(request.user) and aal < webauthn.SECOND_FACTOR_AAL,
        "step_up_url": webauthn.step_up_url(),
    }
    return render(request, "identity/passkeys.html", context)


@login_not_required
@require_GET
def passkey_login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next", ""), "")
    return render(request, "identity/passkeys_login.html", {"next": next_url})


@require_GET
def passkey_step_up(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next", ""), "")
    context = {
        "next": next_url,
        "aal": authn.assurance_of(request.user).aal,
        "has_passkeys": bool(webauthn.passkeys_of(request.user)),
    }
    return render(request, "identity/passkeys_step_up.html", context)


@require_POST
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        webauthn.passkey_remove(actor=request.user, credential_pk=pk, channel=PAGE)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The passkey was removed."))
    return redirect("identity:passkeys")


# --- the ceremonies (JSON) -----------------------------------------------------------------------------------


@_json_endpoint
def passkey_register_begin(request: HttpRequest) -> dict[str, Any]:
    options, _ticket = webauthn.register_begin(request, channel=PAGE)
    return {"publicKey": options}


@_json_endpoint
def passkey_register_complete(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    credential = webauthn.register_complete(
        request, body.get("credential"), name=str(body.get("name") or ""), channel=PAGE
    )
    messages.success(request, _("Passkey “%(name)s” added.") % {"name": credential.name})
    return {"id": credential.pk, "name": credential.name, "redirect": reverse("identity:passkeys")}


@login_not_required
@_json_endpoint
def passkey_login_begin(request: HttpRequest) -> dict[str, Any]:
    options, _ticket = webauthn.login_begin(request, email=str(_body(request).get("email") or ""), channel=PAGE)
    return {"publicKey": options}


@login_not_required
@_json_endpoint
def passkey_login_complete(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    webauthn.login_complete(request, body.get("credential"), channel=PAGE)
    return {"redirect": _safe_next(request, str(body.get("next") or ""), reverse("identity:home"))}


@_json_endpoint
def passkey_step_up_begin(request: HttpRequest) -> dict[str, Any]:
    options, _ticket = webauthn.step_up_begin(request, channel=PAGE)
    return {"publicKey": options}


@_json_endpoint
def passkey_step_up_complete(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    aal = webauthn.step_up_complete(request, body.get("credential"), channel=PAGE)
    return {"aal": str(aal), "redirect": _safe_next(request, str(body.get("next") or ""), reverse("identity:passkeys"))}
