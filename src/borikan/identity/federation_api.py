"""API for federation (identity). Mounted under /api/v1/auth/ by identity/api.py.

Only the list of providers: the sign-in itself is a browser flow (redirects and a session)."""

from django.http import HttpRequest
from ninja import Router, Schema

from .federation import federation_providers

router = Router(tags=["auth"])


class FederationProviderOut(Schema):
    slug: str
    name_th: str
    name_en: str
    login_url: str


@router.get(
    "/federation/providers",
    response=list[FederationProviderOut],
    auth=None,
    summary="Identity providers a person can sign in with (browser flow at login_url)",
)
def providers(request: HttpRequest):
    return federation_providers()
