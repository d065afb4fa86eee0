from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("<slug:code>/", views.agency_overview, name="agency"),
]
