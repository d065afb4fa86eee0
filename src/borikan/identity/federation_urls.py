"""Pages for federation (identity). Mounted under /account/ by identity/urls.py."""

from django.urls import path

from . import federation_views

urlpatterns = [
    path("federation/<slug:slug>/login/", federation_views.federation_login, name="federation_login"),
    path("federation/<slug:slug>/callback/", federation_views.federation_callback, name="federation_callback"),
    path("federation/<slug:slug>/link/", federation_views.federation_link, name="federation_link"),
]
