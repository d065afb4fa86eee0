from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BenchRow(models.Model):
    """Target of the benchmark floor (a bare insert). Not used by the product."""

    payload = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"bench row {self.pk}"
