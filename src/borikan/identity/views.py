from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from borikan.core.errors import ApplicationError

from . import services, throttle
from .forms import LogInForm, SignUpForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "applications:mine"


@login_not_required
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(**form.cleaned_data, address=throttle.client_address(request))
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    return render(request, "identity/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
def log_in(request: HttpRequest) -> HttpResponse:
    form = LogInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_log_in(request=request, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            login(request, user)  # rotates the session key
            return redirect(_next_url(request))
    context = {"form": form, "next": request.GET.get("next", "")}
    return render(request, "identity/login.html", context, status=400 if form.errors else 200)


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("catalog:search")


@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.user_log_out_everywhere(actor=request.user)
    logout(request)
    return redirect("identity:login")
