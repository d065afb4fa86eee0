"""An append-only, hash-chained audit log common to every app.

An entry is inserted in the same transaction as the change it records; right after that transaction
commits it is sealed into the chain (its sequence number, the previous entry's hash and its own hash),
see ADR 0004. Changing or deleting any sealed entry breaks the chain from that point on, which
`manage.py audit_verify` reports. On PostgreSQL a trigger also refuses DELETE, and any UPDATE except
the one-time sealing of an unsealed entry.
"""

from django.db import models


class AuditChainHead(models.Model):
    """A single row locked while sealing, so sealed entries get consecutive sequence numbers and hashes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class AuditEntry(models.Model):
    # Set once, when the entry is sealed into the chain after its transaction commits.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    # Whose personal data the action touched: the citizen's access log reads this.
    subject_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL means "not sealed yet"
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise RuntimeError("audit entries are append-only (sealing goes through audit_seal)")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise RuntimeError("audit entries are append-only")
