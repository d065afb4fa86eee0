"""Browser pages of federated sign-in: start at the provider, come back, link from a signed-in session.

The work is in identity/federation.py; these views only redirect and render."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import federation
from .federation import FederationError


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _error_page(request: HttpRequest, error: FederationError, slug: str) -> HttpResponse:
    context = {"error": error, "slug": slug}
    return render(request, "identity/federation_error.html", context, status=error.status)


def _audited_start_failure(request: HttpRequest, slug: str, error: FederationError) -> HttpResponse:
    federation.audit_refusal(request, slug, error, None)
    return _error_page(request, error, slug)


@login_not_required
@require_GET
def federation_login(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the browser to the provider to sign in."""
    try:
        provider = federation.provider_get(slug)
        url = federation.login_begin(request, provider, next_url=_safe_next(request, request.GET.get("next", "")))
    except FederationError as error:
        return _audited_start_failure(request, slug, error)
    return redirect(url)


@login_not_required
@require_GET
def federation_callback(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider sends the browser back here with a code (or an error) and the state."""
    try:
        outcome = federation.login_complete(request, slug, request.GET.dict())
    except FederationError as error:
        return _error_page(request, error, slug)
    if outcome.mode == "link":
        messages.success(request, _("The identity provider is now linked to your account."))
        return redirect("identity:federation_link", slug=slug)
    return redirect(outcome.next_url or settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def federation_link(request: HttpRequest, slug: str) -> HttpResponse:
    """From a signed-in session: show whether this provider is linked, and (POST) link it."""
    try:
        provider = federation.provider_get(slug)
        if request.method == "POST":
            return redirect(federation.login_begin(request, provider, link=True))
    except FederationError as error:
        return _audited_start_failure(request, slug, error)
    linked = request.user.federated_identities.filter(provider=provider.slug).first()
    if not linked:
        # The page's CSP form-action must name the authorization endpoint the button leads to. If the provider is
        # down, the button's POST shows the error page.
        with contextlib.suppress(FederationError):
            federation.discovery(provider)
    return render(request, "identity/federation_link.html", {"provider": provider, "linked": linked})
