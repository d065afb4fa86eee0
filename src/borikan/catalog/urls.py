from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("office/services/<slug:slug>/risk/", views.service_risk, name="risk"),
]
