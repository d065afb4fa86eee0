from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify_upload, name="verify_upload"),
    path("verify/<str:code>/", views.verify, name="verify"),
    # The exact URL printed in the QR code (no trailing slash): answer it directly, without a redirect.
    path("verify/<str:code>", views.verify),
    path("documents/<int:document_id>/", views.detail, name="detail"),
    path("documents/<int:document_id>/status", views.change_status, name="change_status"),
    path("documents/<int:document_id>/pdf", views.download, name="download"),
    path("documents/templates/<slug:slug>/", views.template_edit, name="template_edit"),
    path("documents/templates/<slug:slug>/preview", views.template_preview, name="template_preview"),
]
