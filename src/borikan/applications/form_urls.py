"""The applicant's form pages of a case, under /forms/applications/ (their addresses predate the move here)."""

from django.urls import path

from . import form_views

app_name = "caseforms"
urlpatterns = [
    path("<uuid:application_id>/review/", form_views.review, name="review"),
    path("<uuid:application_id>/save/", form_views.save, name="save"),
    path("<uuid:application_id>/submit/", form_views.submit, name="submit"),
    path("<uuid:application_id>/autosave/", form_views.autosave, name="autosave"),
]
