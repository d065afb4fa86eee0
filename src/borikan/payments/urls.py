from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("invoices/<str:number>/", views.invoice_detail, name="invoice"),
    path("invoices/<str:number>/refunds/", views.invoice_refund_request, name="invoice_refund"),
    path("invoices/<str:number>/counter-payment/", views.invoice_counter_payment, name="invoice_counter_payment"),
    path("refunds/<int:pk>/decide/", views.refund_decide, name="refund_decide"),
    path("refunds/<int:pk>/pay-out/", views.refund_pay_out, name="refund_pay_out"),
    path("counter/day-sheet/", views.counter_day_sheet, name="counter_day_sheet"),
    path("counter/day-sheet/export.csv", views.counter_day_sheet_export, name="counter_day_sheet_export"),
    path("receipts/<str:number>/", views.receipt_detail, name="receipt"),
    path("receipts/<str:number>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("services/<slug:slug>/fees/", views.fee_schedule_edit, name="fee_schedule"),
    path("held/", views.held_payments, name="held_payments"),
    path("held/<int:pk>/resolve/", views.held_payment_resolve, name="held_payment_resolve"),
    path("reconciliation/", views.reconciliation_list, name="reconciliation"),
    path("reconciliation/<int:pk>/", views.reconciliation_run, name="reconciliation_run"),
    path("reconciliation/<int:pk>/export.csv", views.reconciliation_export, name="reconciliation_export"),
]
