from django.urls import path

from . import views

app_name = "eforms"
urlpatterns = [
    path("address/", views.address_options, name="address_options"),
    path("admin/", views.admin_index, name="admin_index"),
    path("admin/<slug:slug>/", views.admin_versions, name="admin_versions"),
    path("admin/<slug:slug>/draft/", views.admin_draft, name="admin_draft"),
    path("admin/<slug:slug>/draft/new/", views.admin_draft_create, name="admin_draft_create"),
    path("admin/<slug:slug>/draft/publish/", views.admin_publish, name="admin_publish"),
    path("admin/<slug:slug>/draft/discard/", views.admin_discard, name="admin_discard"),
    path("admin/<slug:slug>/versions/<str:number>/preview/", views.admin_preview, name="admin_preview"),
]
