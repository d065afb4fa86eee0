from django.urls import include, path

from . import views

app_name = "identity"
urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path("signup/phone/", views.sign_up_phone, name="signup_phone"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("login/", views.log_in, name="login"),
    path("logout/", views.log_out, name="logout"),
    path("logout-everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("recover/", views.recover, name="recover"),
    path("recover/<uidb64>/<token>/", views.recover_confirm, name="recover_confirm"),
    path("step-up/", views.step_up, name="step_up"),
    path("home/", views.home, name="home"),
    path("security/", views.security, name="security"),
    path("security/email/", views.email_add, name="email_add"),
    path("security/totp/", views.totp_enrol, name="totp_enrol"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("", include("borikan.identity.webauthn_urls")),
    path("", include("borikan.identity.federation_urls")),
    path("", include("borikan.identity.proofing_urls")),
]
