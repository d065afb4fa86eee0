from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("start/<slug:slug>/", views.start, name="start"),
    path("<uuid:application_id>/", views.detail, name="detail"),
    path("<uuid:application_id>/edit/", views.edit, name="edit"),
    path("<uuid:application_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:application_id>/appeal/", views.appeal, name="appeal"),
    path("<uuid:application_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
