from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyPdfForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file of the document"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
