"""Pages for webauthn (identity). Mounted under /account/ by identity/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
