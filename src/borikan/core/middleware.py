from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ThaiFirstLocaleMiddleware:
    """Pages are in Thai unless the person chose English with the language switch (a cookie).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not consulted: a Thai citizen on a
    phone set to English still gets the Thai portal first, and one click changes it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Pages are deny-by-default (login required unless marked). The API authenticates itself:
    every router declares its auth (bearer token or session), and public endpoints say auth=None."""

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
