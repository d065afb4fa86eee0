"""API authentication: a bearer token (API clients, the demo) or the browser session (with CSRF)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from . import authn
        from .services import api_token_find, api_token_touch

        found = api_token_find(key=token)
        if found is None:
            return None
        aal = authn.token_aal(found)  # judged on the idle time before this request
        api_token_touch(found)
        authn.attach(found.user, aal=aal, methods=tuple(use.method for use in authn.token_uses(found)))
        request.user = found.user
        request.api_token = found
        return found.user


class BrowserSession(SessionAuth):
    """The browser's session cookie, with Django's CSRF check. Without a session cookie there is nothing to
    check, so a request with a bad bearer token gets a plain 401 rather than a CSRF error."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


# Every protected endpoint accepts either; anonymous endpoints say auth=None explicitly.
api_auth = [BearerToken(), BrowserSession()]
