"""API authentication: a bearer token (API clients, the demo) or the browser session (with CSRF)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201
        from borikan.identity.services import api_token_user

        user = api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


# Every protected endpoint accepts either; anonymous endpoints say auth=None explicitly.
api_auth = [BearerToken(), SessionAuth()]
