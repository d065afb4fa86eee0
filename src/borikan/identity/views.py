from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from borikan.agencies.selectors import staff_agency_ids
from borikan.core.errors import ApplicationError

from . import authn, challenge, mfa, phone, recovery, services, throttle, verification
from .federation import federation_providers
from .forms import (
    CodeForm,
    EmailAddForm,
    LogInForm,
    PhoneSignUpForm,
    PhoneStartForm,
    RecoverConfirmForm,
    RecoverForm,
    SignUpForm,
    VerifyEmailForm,
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "identity:home"  # each role's own starting point


def _next_path(request: HttpRequest) -> str:
    from urllib.parse import quote

    target = _next_url(request)
    return quote(target if target.startswith("/") else reverse(target))


@login_not_required
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_sign_up(**form.cleaned_data, address=throttle.client_address(request))
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # The same page whether the address was new or taken: the mailbox tells its owner which.
            return render(request, "identity/signup_sent.html", {"email": form.cleaned_data["email"]}, status=202)
    return render(request, "identity/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the sign-up mail: the password chosen at sign-up confirms the address and signs in."""
    try:
        user = verification.user_for_token(token)
    except ApplicationError as error:
        return render(request, "identity/verify_email.html", {"invalid": error.message}, status=400)
    adding = not user.email  # an address added to an account made with a mobile number
    form = VerifyEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = verification.email_verify(token=token, password=form.cleaned_data["password"])
        except ApplicationError as error:
            form.add_error("password" if error.field == "password" else None, error.message)
        else:
            messages.success(request, _("Your e-mail address is confirmed."))
            if adding and request.user.is_authenticated and request.user.pk == user.pk:
                return redirect("identity:security")  # already signed in: the session keeps its assurance
            authn.session_log_in(request, user, authn.Method.PASSWORD)
            response = redirect("identity:security" if adding else _next_url(request))
            challenge.device_remember(response, user)
            return response
    context = {"form": form, "email": verification.address_for_token(token), "adding": adding}
    return render(request, "identity/verify_email.html", context, status=400 if form.errors else 200)


@login_not_required
def log_in(request: HttpRequest) -> HttpResponse:
    form = LogInForm(request.POST or None)
    challenged = bool(request.POST.get("code"))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_log_in(request=request, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
            challenged = challenged or error.code == "sign_in_code_required"
            status = error.status if error.status == 429 else 400
        else:
            authn.session_log_in(request, user, authn.Method.PASSWORD)  # rotates the session key
            if mfa.has_second_factor(user) or staff_agency_ids(user=user):
                # Staff always work at AAL 2; a person with a second factor is asked for it straight away.
                response = redirect(f"{reverse('identity:step_up')}?next={_next_path(request)}")
            else:
                response = redirect(_next_url(request))
            challenge.device_remember(response, user)
            return response
    elif form.errors:
        status = 400
    context = {
        "form": form,
        "challenged": challenged,
        "next": request.GET.get("next", ""),
        "federation_providers": federation_providers(),
    }
    return render(request, "identity/login.html", context, status=status)


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    services.user_log_out(actor=request.user)
    logout(request)
    return redirect("catalog:search")


@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.user_log_out_everywhere(actor=request.user)
    logout(request)
    return redirect("identity:login")


def _wanted_aal(request: HttpRequest) -> Decimal:
    try:
        return max(Decimal(request.GET.get("aal") or "2.1"), authn.AAL2_1)
    except InvalidOperation:
        return authn.AAL2_1


def step_up(request: HttpRequest) -> HttpResponse:
    """Ask for the second factor, then return the person to where they were."""
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method = form.cleaned_data["method"]
        try:
            if method == authn.Method.TOTP:
                mfa.totp_check(user=user, code=form.cleaned_data["code"])
            else:
                mfa.recovery_code_use(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code", error.message)
        else:
            aal = authn.session_step_up(request, authn.Method(method))
            messages.success(request, _("Confirmed. This session is now at AAL %(aal)s.") % {"aal": aal})
            return redirect(_next_url(request))
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "wanted": _wanted_aal(request),
        "current": request.user.assurance.aal,
        "has_totp": user.totp_device.confirmed_at is not None if hasattr(user, "totp_device") else False,
        "recovery_left": mfa.recovery_codes_left(user=user),
        "has_passkey": user.webauthn_credentials.exists(),
    }
    return render(request, "identity/step_up.html", context, status=400 if form.errors else 200)


def security(request: HttpRequest, email_form: EmailAddForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    device = getattr(user, "totp_device", None) if hasattr(user, "totp_device") else None
    linked = set(user.federated_identities.values_list("provider", flat=True))
    context = {
        "providers": [dict(p, linked=p["slug"] in linked) for p in federation_providers()],
        "totp_confirmed": bool(device and device.confirmed_at),
        "recovery_left": mfa.recovery_codes_left(user=user),
        "passkeys": list(user.webauthn_credentials.order_by("created_at")),
        "assurance": user.assurance,
        "email_form": email_form or EmailAddForm(),
    }
    return render(request, "identity/security.html", context, status=status)


@require_POST
def email_add(request: HttpRequest) -> HttpResponse:
    """Add an e-mail address to an account made with a mobile number: a link goes to it; it counts once opened."""
    form, status = EmailAddForm(request.POST), 400
    if form.is_valid():
        try:
            email = services.user_email_add(
                actor=request.user, email=form.cleaned_data["email"], address=throttle.client_address(request)
            )
        except ApplicationError as error:
            form.add_error("email" if error.field == "email" else None, error.message)
            status = error.status if error.status == 429 else 400
        else:
            messages.success(
                request,
                _("We sent a link to %(email)s. Open it and enter your password: the address counts only after that.")
                % {"email": email},
            )
            return redirect("identity:security")
    return security(request, email_form=form, status=status)


def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan, type a code to confirm, keep the recovery codes."""
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "remove":
        try:
            mfa.totp_remove(user=user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('identity:step_up')}?next={reverse('identity:security')}")
        messages.success(request, _("The authenticator app was removed."))
        return redirect("identity:security")
    form = CodeForm(request.POST or None, initial={"method": authn.Method.TOTP})
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code", error.message)
        else:
            aal = authn.session_step_up(request, authn.Method.TOTP)
            context = {"codes": codes, "aal": aal, "next": _next_url(request)}
            return render(request, "identity/recovery_codes.html", context)
    try:
        # A failed confirmation shows the same secret again; a fresh visit starts over with a new one.
        setup = (mfa.totp_pending(user=user) if request.method == "POST" else None) or mfa.totp_begin(user=user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("identity:security")
    context = {"form": form, "setup": setup, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "identity/totp_enrol.html", context, status=400 if form.errors else 200)


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = mfa.recovery_codes_regenerate(user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('identity:step_up')}?next={reverse('identity:security')}")
    return render(request, "identity/recovery_codes.html", {"codes": codes, "next": reverse("identity:security")})


@login_not_required
def recover(request: HttpRequest) -> HttpResponse:
    form = RecoverForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        try:
            recovery.recovery_request(email=form.cleaned_data["email"], address=throttle.client_address(request))
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            sent = True
    return render(request, "identity/recover.html", {"form": form, "sent": sent}, status=400 if form.errors else 200)


@login_not_required
def recover_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = recovery.recovery_user(uidb64=uidb64, token=token)
    except ApplicationError as error:
        return render(request, "identity/recover_confirm.html", {"invalid": error.message}, status=400)
    form = RecoverConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = recovery.recovery_complete(uidb64=uidb64, token=token, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return render(request, "identity/recover_done.html", {"outcome": outcome})
    context = {"form": form, "has_second_factor": mfa.has_second_factor(user)}
    return render(request, "identity/recover_confirm.html", context, status=400 if form.errors else 200)


@login_not_required
def sign_up_phone(request: HttpRequest) -> HttpResponse:
    """Sign up with a mobile number: first a code by SMS, then the account."""
    if request.method == "POST" and "code" in request.POST:
        form = PhoneSignUpForm(request.POST)
        if form.is_valid():
            try:
                user = phone.phone_signup_complete(**form.cleaned_data, address=throttle.client_address(request))
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                authn.session_log_in(request, user, authn.Method.PASSWORD)
                return redirect(_next_url(request))
        return render(request, "identity/signup_phone.html", {"form": form, "sent": True}, status=400)
    start = PhoneStartForm(request.POST or None)
    if request.method == "POST" and start.is_valid():
        try:
            phone.phone_signup_start(phone=start.cleaned_data["phone"], address=throttle.client_address(request))
        except ApplicationError as error:
            start.add_error("phone", error.message)
        else:
            form = PhoneSignUpForm(initial={"phone": start.cleaned_data["phone"]})
            return render(request, "identity/signup_phone.html", {"form": form, "sent": True})
    status = 400 if start.errors else 200
    return render(request, "identity/signup_phone.html", {"form": start, "sent": False}, status=status)


def home(request: HttpRequest) -> HttpResponse:
    """Where signing in lands when no page asked for it: each person's own starting point. Approvers and
    directors their inbox of cases awaiting a decision, officers their queue, agency admins their settings, and
    citizens their applications."""
    from borikan.agencies.models import StaffMembership, StaffRole

    roles = set(StaffMembership.objects.filter(user=request.user).values_list("role", flat=True))
    if roles & {StaffRole.APPROVER, StaffRole.DIRECTOR}:
        return redirect("approvals:home")
    if StaffRole.OFFICER in roles:
        return redirect("office:queue")
    if StaffRole.AGENCY_ADMIN in roles:
        return redirect("agencyadmin:home")
    return redirect("applications:mine")
