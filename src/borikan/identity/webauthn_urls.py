"""Pages for passkeys (identity). Mounted under /account/ by identity/urls.py (names in the identity namespace)."""

from django.urls import path

from . import webauthn_views as views

urlpatterns: list = [
    path("passkeys/", views.passkeys, name="passkeys"),
    path("passkeys/login/", views.passkey_login, name="passkey_login"),
    path("passkeys/step-up/", views.passkey_step_up, name="passkey_step_up"),
    path("passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
    path("passkeys/register/begin/", views.passkey_register_begin, name="passkey_register_begin"),
    path("passkeys/register/complete/", views.passkey_register_complete, name="passkey_register_complete"),
    path("passkeys/login/begin/", views.passkey_login_begin, name="passkey_login_begin"),
    path("passkeys/login/complete/", views.passkey_login_complete, name="passkey_login_complete"),
    path("passkeys/step-up/begin/", views.passkey_step_up_begin, name="passkey_step_up_begin"),
    path("passkeys/step-up/complete/", views.passkey_step_up_complete, name="passkey_step_up_complete"),
]
