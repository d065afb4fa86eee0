from django.urls import path

from . import views

app_name = "office"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<uuid:application_id>/", views.case, name="case"),
    path("cases/<uuid:application_id>/act/", views.act, name="act"),
]
