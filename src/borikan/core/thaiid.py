"""Thai 13-digit citizen / juristic-person ID numbers."""

import re

_DIGITS = re.compile(r"^[0-9]{13}$")


def is_valid_thai_id(value: str) -> bool:
    """Check digit: (11 - sum(d_i * (14 - i)) mod 11) mod 10, weights 13 down to 2 over the first 12 digits."""
    value = (value or "").replace("-", "").replace(" ", "")
    if not _DIGITS.match(value):
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(value[:12]))
    return (11 - total % 11) % 10 == int(value[12])
