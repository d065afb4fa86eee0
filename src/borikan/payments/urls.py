from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("invoices/<str:number>/", views.invoice_detail, name="invoice"),
]
