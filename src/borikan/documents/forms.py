from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyPdfForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file of the document"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class DocumentTemplateForm(forms.Form):
    html = forms.CharField(
        label=_("Template (HTML, Django template language)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false", "class": "code"}),
    )
    css = forms.CharField(
        label=_("Stylesheet (CSS)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "spellcheck": "false", "class": "code"}),
    )
