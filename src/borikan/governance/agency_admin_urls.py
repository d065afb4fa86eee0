from django.urls import path

from . import agency_admin_views as views

app_name = "agencyadmin"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:code>/counter/", views.counter, name="counter"),
]
