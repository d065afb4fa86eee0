"""The session's assurance, worked out once per request for whoever is signed in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import authn


class SessionAssuranceMiddleware:
    """Attach the session's AAL (judged on the idle time before this request) to `request.user`, then record
    the activity. Bearer-token requests get theirs in `apiauth.BearerToken`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "assurance", None) is None:
            aal = authn.session_aal(request)
            authn.session_touch(request)
            authn.attach(user, aal=aal, methods=tuple(authn.session_methods(request)))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """On pages, a refusal for want of assurance sends the person to the fix and back (the API answers
        403 problem+json through its own handler)."""
        from django.shortcuts import redirect, render
        from django.utils.http import urlencode

        from .enforcement import AssuranceRequired, audit_refusal
        from .mfa import StepUpRequired

        if request.path.startswith("/api/") or not isinstance(exception, AssuranceRequired | StepUpRequired):
            return None
        if isinstance(exception, AssuranceRequired):
            audit_refusal(exception)
        fix = exception.details.get("fix", {})
        if "aal" in fix and "ial" not in exception.details.get("missing", []):
            separator = "&" if "?" in fix["aal"] else "?"
            return redirect(f"{fix['aal']}{separator}{urlencode({'next': _return_to(request)})}")
        return render(request, "identity/assurance_required.html", {"error": exception}, status=exception.status)


def _return_to(request: HttpRequest) -> str:
    """Where to come back after the fix. A GET comes back to itself; a POST cannot be replayed by a redirect (the
    browser would GET a POST-only address: a blank 405), so it comes back to the page whose form was sent."""
    from urllib.parse import urlsplit

    from django.utils.http import url_has_allowed_host_and_scheme

    if request.method in {"GET", "HEAD"}:
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


class FederationFormActionMiddleware:
    """Extend the page's CSP form-action with the identity providers' origins (federation.form_action_origins).
    Sits after Django's CSP middleware in the list, so it runs before that middleware builds the header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html") or hasattr(response, "_csp_config"):
            return response
        from django.conf import settings

        from .federation import form_action_origins

        if origins := form_action_origins():
            config = dict(settings.SECURE_CSP)
            config["form-action"] = [*config.get("form-action", ["'self'"]), *origins]
            response._csp_config = config  # type: ignore[attr-defined]
        return response
