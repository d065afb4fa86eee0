from django.urls import path

from . import views

app_name = "office"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<uuid:application_id>/", views.case, name="case"),
    path("cases/<uuid:application_id>/act/", views.act, name="act"),
    path("cases/<uuid:application_id>/assign/", views.assign, name="assign"),
    path("cases/<uuid:application_id>/notes/", views.note_add, name="note_add"),
    path("cases/<uuid:application_id>/checklist/", views.checklist_tick, name="checklist_tick"),
    path("cases/<uuid:application_id>/request-information/", views.request_information, name="request_information"),
    path("cases/<uuid:application_id>/delay/", views.delay, name="delay"),
    path("services/<slug:slug>/casework/", views.service_casework, name="service_casework"),
]
