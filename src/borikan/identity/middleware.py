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
            return redirect(f"{fix['aal']}{separator}{urlencode({'next': request.get_full_path()})}")
        return render(request, "identity/assurance_required.html", {"error": exception}, status=exception.status)
