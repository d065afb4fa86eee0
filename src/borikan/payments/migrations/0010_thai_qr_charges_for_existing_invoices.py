"""Every invoice issued before charges existed had exactly one payment attempt: its Thai QR charge at the gateway.
Write that charge (paid, closed or pending as the invoice is) and point the invoice's payment at it."""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    Invoice = apps.get_model("payments", "Invoice")
    Charge = apps.get_model("payments", "Charge")
    Payment = apps.get_model("payments", "Payment")
    have_charge = Charge.objects.filter(channel="thai_qr").values("reference")
    invoices = Invoice.objects.exclude(gateway_charge_id="").exclude(gateway_charge_id__in=have_charge).order_by("pk")
    for invoice in invoices.iterator(chunk_size=BATCH):
        status = {"paid": "paid", "cancelled": "closed"}.get(invoice.status, "pending")
        charge = Charge.objects.create(
            invoice_id=invoice.pk,
            channel="thai_qr",
            reference=invoice.gateway_charge_id,
            status=status,
            amount_satang=invoice.amount_satang,
            paid_at=invoice.paid_at if status == "paid" else None,
            closed_at=invoice.updated_at if status == "closed" else None,
        )
        # The charge was opened with the invoice, not now.
        Charge.objects.filter(pk=charge.pk).update(created_at=invoice.created_at, updated_at=invoice.updated_at)
        Payment.objects.filter(invoice_id=invoice.pk, charge__isnull=True).update(charge=charge, channel="thai_qr")


def backwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Charge = apps.get_model("payments", "Charge")
    if Charge.objects.exclude(channel="thai_qr").exists():
        raise RuntimeError("counter charges exist; they cannot be folded back into invoices")
    Payment.objects.update(charge=None)
    Charge.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0009_charges")]

    operations = [migrations.RunPython(forwards, backwards)]
