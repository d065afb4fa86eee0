"""API for proofing (identity). Mounted under /api/v1/auth/ by identity/api.py."""

from ninja import Router

router = Router(tags=["auth"])
