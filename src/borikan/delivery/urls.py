from django.urls import path

from . import views

app_name = "delivery"
urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("documents/<int:document_id>/share/", views.share_create, name="share_create"),
    path("shares/<int:share_id>/withdraw/", views.share_withdraw, name="share_withdraw"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/pdf", views.shared_pdf, name="shared_pdf"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:delivery_id>/<slug:action>/", views.staff_action, name="staff_action"),
]
