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


class StructuredTemplateForm(forms.Form):
    """The document template without HTML: the service layer (doctemplates.template_structured_save) builds it."""

    title_th = forms.CharField(
        label=_("Title of the document (Thai)"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    title_en = forms.CharField(
        label=_("Title of the document (English)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    body = forms.CharField(
        label=_("Text of the document"),
        help_text=_(
            "Plain text. Leave an empty line between paragraphs. To print a detail of the document, write its "
            "placeholder in braces, as listed below."
        ),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "govuk-textarea"}),
    )
    show_fields = forms.BooleanField(
        label=_("Print the details of the application (the table of the document's fields)"), required=False
    )
    show_validity = forms.BooleanField(label=_("Print the dates of issue and validity"), required=False)
    signer_name = forms.CharField(
        label=_("Name of the signer"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
    )
    signer_position = forms.CharField(
        label=_("Position of the signer"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
