from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/<slug:slug>/chain/", views.chain_edit, name="chain"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/revoke/", views.delegation_revoke, name="delegation_revoke"),
    path("cases/<str:case_ref>/", views.case_detail, name="case"),
]
