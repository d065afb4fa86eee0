"""Forms of the payments pages. They only read what was typed (baht into satang, blank rows left out); every rule
about fees is the service function's (`fee_services.fee_schedule_set`), which pages and the API both call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ExemptionCategory, FeeKind

KIND_LABELS = {
    FeeKind.FIXED: _("A fixed amount"),
    FeeKind.PER_UNIT: _("A base amount and an amount per unit"),
    FeeKind.TIERED: _("A base amount and an amount by quantity band"),
}
CATEGORY_LABELS = {
    ExemptionCategory.ELDERLY: _("Elderly person"),
    ExemptionCategory.DISABLED: _("Holder of a disabled-person card"),
    ExemptionCategory.GOVERNMENT_AGENCY: _("Government agency"),
    ExemptionCategory.OTHER: _("Other"),
}


CATEGORIES = ExemptionCategory.values


def satang(baht: Decimal | None) -> int:
    return 0 if baht is None else int((baht * 100).to_integral_value())


def baht(satang_amount: int | None) -> Decimal | None:
    return None if satang_amount is None else (Decimal(satang_amount) / 100).quantize(Decimal("0.01"))


def _money(label: Any, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}),
    )


def _text(label: Any, max_length: int, required: bool = False, width: str = "govuk-input") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.TextInput(attrs={"class": width})
    )


class FeeScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("How the fee is computed"),
        choices=[(value, KIND_LABELS[FeeKind(value)]) for value in FeeKind.values],
        widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
    )
    base_baht = _money(_("Base amount (baht)"))
    unit_baht = _money(_("Amount per unit (baht)"))
    quantity_field = _text(_("Form field that holds the quantity"), 64, width="govuk-input govuk-input--width-20")
    unit_name_th = _text(_("Name of the unit (Thai)"), 60, width="govuk-input govuk-input--width-20")
    unit_name_en = _text(_("Name of the unit (English)"), 60, width="govuk-input govuk-input--width-20")
    max_quantity = forms.IntegerField(
        label=_("Largest quantity accepted"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5"}),
    )
    legal_basis_th = forms.CharField(
        label=_("The law that sets the fee"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
    )


class FeeTierForm(forms.Form):
    up_to = forms.IntegerField(
        label=_("Up to (quantity; blank for no upper limit)"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5"}),
    )
    amount_baht = _money(_("Amount (baht)"))

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return data.get("up_to") is None and data.get("amount_baht") is None


class FeeExemptionForm(forms.Form):
    code = _text(_("Code (English letters, digits, - or _)"), 40, width="govuk-input govuk-input--width-10")
    category = forms.ChoiceField(
        label=_("Who is exempted"),
        required=False,
        choices=[("", "—"), *((value, CATEGORY_LABELS[ExemptionCategory(value)]) for value in CATEGORIES)],
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    name_th = _text(_("Name (Thai)"), 200)
    name_en = _text(_("Name (English)"), 200)
    percent = forms.IntegerField(
        label=_("Share of the fee waived (percent)"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
    )
    legal_basis_th = forms.CharField(
        label=_("The law that grants the exemption"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
    )
    evidence_th = _text(_("What the officer checks"), 300)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        typed = any(data.get(name) not in (None, "") for name in self.fields if name != "DELETE")
        return not typed or bool(data.get("DELETE"))


TierFormSet = forms.formset_factory(FeeTierForm, extra=2, max_num=50, absolute_max=50)
ExemptionFormSet = forms.formset_factory(FeeExemptionForm, extra=1, can_delete=True, max_num=50, absolute_max=50)
