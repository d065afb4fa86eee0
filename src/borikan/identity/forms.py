from django import forms
from django.utils.translation import gettext_lazy as _


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Mobile phone (optional)"), max_length=20, required=False)
    password = forms.CharField(label=_("Password (at least 10 characters)"), widget=forms.PasswordInput)


class LogInForm(forms.Form):
    email = forms.CharField(label=_("E-mail or mobile number"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    code = forms.CharField(
        label=_("Sign-in code from your e-mail or SMS"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class CodeForm(forms.Form):
    method = forms.ChoiceField(
        choices=[("totp", _("Code from the authenticator app")), ("recovery_code", _("A recovery code"))],
        initial="totp",
        widget=forms.RadioSelect,
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RecoverForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of your account"))


class RecoverConfirmForm(forms.Form):
    new_password = forms.CharField(label=_("New password (at least 10 characters)"), widget=forms.PasswordInput)
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=20, required=False
    )
    lost_second_factor = forms.BooleanField(
        label=_("I have lost my second factor (my identity level will be lowered until I prove it again)"),
        required=False,
    )


class PhoneStartForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=20)


class PhoneSignUpForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(label=_("Code from the SMS"), max_length=6)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password = forms.CharField(label=_("Password (at least 10 characters)"), widget=forms.PasswordInput)


class EmailAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class VerifyEmailForm(forms.Form):
    password = forms.CharField(
        label=_("The password you chose at sign-up"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )
