"""Prefill from the person's profile: on the first open of an empty draft, the fields that ask for the
person's name, e-mail, phone or citizen ID start with what the account holds. Nothing is saved until the
person saves (or the page autosaves)."""

from __future__ import annotations

from typing import Any

PROFILE_KEYS = ("full_name", "email", "phone", "citizen_id")


def profile_values(user: Any) -> dict[str, str]:
    # The proven mobile number first, else the contact number the account gave.
    mobile = getattr(user, "mobile", None) or getattr(user, "phone", "") or ""
    if mobile.startswith("+66"):
        mobile = "0" + mobile[3:]
    return {
        "full_name": getattr(user, "full_name", "") or "",
        "email": getattr(user, "email", "") or "",
        "phone": mobile,
        "citizen_id": getattr(user, "citizen_id", "") or "",
    }


def profile_key(name: str, spec: dict[str, Any]) -> str:
    """Which profile value a field takes: its UI "prefill" entry, else by type (citizen ID, e-mail, phone) or
    by the conventional name full_name."""
    if spec.get("prefill") in PROFILE_KEYS:
        return spec["prefill"]
    kind = spec.get("type")
    if kind == "citizen_id":
        return "citizen_id"
    if kind == "email" or name == "email":
        return "email"
    if kind == "phone" and name in ("phone", "mobile"):
        return "phone"
    if name == "full_name":
        return "full_name"
    return ""


def prefill_data(ui: dict[str, Any], data: dict[str, Any], user: Any) -> dict[str, Any]:
    """The values to offer for the empty top-level fields."""
    values = profile_values(user)
    offered: dict[str, Any] = {}
    for name, spec in ui.get("fields", {}).items():
        key = profile_key(name, spec)
        if key and values.get(key) and not data.get(name):
            offered[name] = values[key]
    return offered
