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
