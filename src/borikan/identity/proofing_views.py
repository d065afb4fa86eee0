"""Pages for identity proofing: the person's own assurance, the officer's counter check, company representation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borikan.agencies.models import Agency
from borikan.agencies.selectors import staff_agency_ids
from borikan.core.errors import ApplicationError

from . import enforcement, juristic, proofing
from .models import RepresentationRole, User
from .selectors import SELF_ASSERTED_IAL


def _oidc_providers() -> list[dict[str, str]]:
    """The configured identity providers (`BORIKAN_OIDC_PROVIDERS`, a list of dicts) with their linking page."""
    found = []
    for entry in getattr(settings, "BORIKAN_OIDC_PROVIDERS", None) or []:
        slug = str(entry.get("slug", "")) if isinstance(entry, dict) else ""
        if slug:
            found.append(
                {
                    "name_th": entry.get("name_th") or slug,
                    "name_en": entry.get("name_en") or slug,
                    "url": reverse("identity:federation_link", args=[slug]),
                }
            )
    return found


def assurance(request: HttpRequest) -> HttpResponse:
    """What is proven about who I am (IAL), how strongly this session is signed in (AAL), how to raise both."""
    user = request.user
    history = proofing.proofing_history(user=user)
    representations = juristic.representations_of(user=user)
    context = {
        "ial": history["ial"],
        "self_asserted": history["ial"] <= SELF_ASSERTED_IAL,
        "valid_records": history["valid"],
        "past_records": [(record, proofing.record_status(record)) for record in history["past"]],
        "session": user.assurance,
        "agencies": _in_thai_order(Agency.objects.all()),
        "oidc_providers": _oidc_providers(),
        "representations": [(item, juristic.representation_status(item)) for item in representations],
        "levels": [proofing.IAL1_3, proofing.IAL2_1, proofing.IAL2_3],
    }
    return render(request, "identity/assurance.html", context)


def _in_thai_order(agencies) -> list[Agency]:
    """By Thai name in dictionary order (PyThaiNLP's collation), as a Thai reader looks one up in a list."""
    from pythainlp.util import collate

    found = list(agencies)
    rank = {name: index for index, name in enumerate(collate([agency.name_th for agency in found]))}
    return sorted(found, key=lambda agency: (rank[agency.name_th], agency.code))


class CounterProofingForm(forms.Form):
    account = forms.CharField(
        label=_("The person's account: e-mail or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    citizen_id = forms.CharField(label=_("Citizen ID (13 digits)"), max_length=17)
    laser_code = forms.CharField(label=_("Laser code on the back of the card"), max_length=20)
    first_name_th = forms.CharField(label=_("Given name (Thai, as on the card)"), max_length=100)
    last_name_th = forms.CharField(label=_("Surname (Thai, as on the card)"), max_length=100)
    # The date of birth as printed on the card: day, month and a Buddhist-Era year (clean() makes the date).
    birth_day = forms.IntegerField(
        label=_("Day"), min_value=1, max_value=31, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    birth_month = forms.IntegerField(
        label=_("Month"), min_value=1, max_value=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    birth_year_be = forms.IntegerField(
        label=_("Year (B.E.)"), widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4"})
    )
    face_compared = forms.BooleanField(label=_("I compared the person's face with the card photo"), required=False)
    chip_read = forms.BooleanField(label=_("I read the card's chip with a card reader"), required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("Agency"), empty_label=None)

    BIRTH_FIELDS = ("birth_day", "birth_month", "birth_year_be")

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "govuk-select")
            elif not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "govuk-input")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, month, year = (cleaned.get(name) for name in self.BIRTH_FIELDS)
        if day is not None and month is not None and year is not None:
            try:
                cleaned["birth_date"] = birth_date_from_be(day=day, month=month, year_be=year)
            except forms.ValidationError as error:
                self.add_error("birth_year_be" if error.code == "gregorian_year" else "birth_day", error)
        return cleaned

    def birth_errors(self) -> list[str]:
        """The date of birth's errors, shown once above its three boxes."""
        return [str(message) for name in self.BIRTH_FIELDS for message in self.errors.get(name, [])]


def birth_date_from_be(*, day: int, month: int, year_be: int, today: dt.date | None = None) -> dt.date:
    """A date of birth typed as day, month and Buddhist-Era year (พ.ศ.), as printed on the ID card."""
    today = today or timezone.localdate()
    this_year_be = today.year + 543
    if 1800 <= year_be < 2400:
        raise forms.ValidationError(
            _("%(year)s looks like a Gregorian year: type the Buddhist-Era year (%(year)s + 543 = %(be)s).")
            % {"year": year_be, "be": year_be + 543},
            code="gregorian_year",
        )
    if not 2400 <= year_be <= this_year_be:
        raise forms.ValidationError(
            _("Type the Buddhist-Era year of birth in four digits, between 2400 and %(now)s.") % {"now": this_year_be},
            code="gregorian_year",
        )
    try:
        born = dt.date(year_be - 543, month, day)
    except ValueError:
        raise forms.ValidationError(
            _("There is no such date: check the day and the month."), code="impossible_date"
        ) from None
    if born > today:
        raise forms.ValidationError(_("The date of birth cannot be in the future."), code="impossible_date")
    return born


def _staff_agencies(request: HttpRequest) -> Any:
    """The officer's agencies. Non-staff get 403; staff below AAL 2 are sent to step up and back (the
    identity middleware turns `AssuranceRequired` into that redirect and audits it)."""
    agency_ids = staff_agency_ids(user=request.user)
    if not agency_ids:
        raise DjangoPermissionDenied("agency staff only")
    enforcement.require_staff(request.user)
    return Agency.objects.filter(pk__in=agency_ids).order_by("code")


def counter_proofing(request: HttpRequest) -> HttpResponse:
    """An officer checks a person's Thai ID card against the civil registry and records the proofing."""
    agencies = _staff_agencies(request)
    form = CounterProofingForm(request.POST or None, agencies=agencies)
    context: dict[str, Any] = {"form": form, "record": None, "error": None}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = proofing.account_by_contact(data["account"])
        if person is None:
            form.add_error("account", _("No account has this confirmed e-mail address or mobile number."))
        else:
            try:
                context["record"] = proofing.proofing_counter_record(
                    actor=request.user,
                    user=person,
                    citizen_id=data["citizen_id"],
                    laser_code=data["laser_code"],
                    first_name_th=data["first_name_th"],
                    last_name_th=data["last_name_th"],
                    birth_date=data["birth_date"],
                    face_compared=data["face_compared"],
                    chip_read=data["chip_read"],
                    agency=data["agency"],
                )
                context["person"] = person
                context["form"] = CounterProofingForm(agencies=agencies, initial={"agency": data["agency"]})
            except ApplicationError as error:
                context["error"] = error
                status = error.status
    if form.errors:
        status = 400
    return render(request, "identity/counter_proofing.html", context, status=status)


class RepresentationForm(forms.Form):
    email = forms.EmailField(label=_("The representative's account e-mail"))
    registration_number = forms.CharField(label=_("Juristic person registration number (13 digits)"), max_length=17)
    name_th = forms.CharField(label=_("Name (Thai, as on the certificate)"), max_length=255, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (RepresentationRole.DIRECTOR, _("Director with signing authority")),
            (RepresentationRole.AUTHORISED_REPRESENTATIVE, _("Authorised representative (power of attorney)")),
        ],
    )
    certificate_issued_on = forms.CharField(
        label=_("Company certificate issued on"),
        help_text=_("Day/month/Buddhist-Era year, for example 15/08/2569"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    power_of_attorney_checked = forms.BooleanField(
        label=_("I checked the power of attorney signed by a director with authority"), required=False
    )
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("Agency"), empty_label=None)

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies

    def clean_certificate_issued_on(self):
        from borikan.core.thaidate import parse_typed_date

        try:
            return parse_typed_date(self.cleaned_data["certificate_issued_on"])
        except ValueError:
            raise forms.ValidationError(
                _("Give the date as day/month/Buddhist-Era year, for example 15/08/2569.")
            ) from None


def juristic_representation(request: HttpRequest) -> HttpResponse:
    """An officer records that a person may act for a company, after checking its documents."""
    agencies = _staff_agencies(request)
    form = RepresentationForm(request.POST or None, agencies=agencies)
    context: dict[str, Any] = {"form": form, "representation": None, "error": None}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = User.objects.filter(email=data["email"].strip().lower(), is_active=True).first()
        if person is None:
            form.add_error("email", _("No account has this e-mail address."))
        else:
            try:
                context["representation"] = juristic.representation_record(
                    actor=request.user,
                    user=person,
                    registration_number=data["registration_number"],
                    name_th=data["name_th"],
                    name_en=data["name_en"],
                    role=data["role"],
                    agency=data["agency"],
                    certificate_issued_on=data["certificate_issued_on"],
                    power_of_attorney_checked=data["power_of_attorney_checked"],
                )
                context["form"] = RepresentationForm(agencies=agencies, initial={"agency": data["agency"]})
            except ApplicationError as error:
                context["error"] = error
                status = error.status
    if form.errors:
        status = 400
    return render(request, "identity/juristic_representation.html", context, status=status)
