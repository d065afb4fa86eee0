"""Bounded, strict types for every string and number the API accepts.

Each request schema field and path or query parameter uses one of these, so the OpenAPI document states
the limit and pydantic enforces it (a 422 ``invalid_request`` naming the field) before a service runs.
``config/tests/test_openapi_limits.py`` walks the OpenAPI document and fails on any unbounded string, integer or list.

Body integers are strict: JSON ``true`` is not 1 and ``"100"`` is not 100. Path and query integers arrive
as text, so those are lax but still bounded.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints

from borikan.core.hygiene import clean_name

BIGINT_MAX = 2**63 - 1

Code = Annotated[str, StringConstraints(max_length=64)]
"""Slugs, codes, reference numbers, identifiers typed by hand: citizen ID, phone, registration number."""
Email = Annotated[str, StringConstraints(max_length=254)]
Secret = Annotated[str, StringConstraints(max_length=256)]
"""Passwords, one-time codes and ceremony tickets."""
Label = Annotated[str, StringConstraints(max_length=300)]
Name = Annotated[str, StringConstraints(max_length=200), AfterValidator(clean_name)]
"""A person's or organisation's name as it will be printed: no invisible characters, single spaces."""
Text = Annotated[str, StringConstraints(max_length=2000)]
"""Reasons, notes and justifications."""
LongText = Annotated[str, StringConstraints(max_length=10_000)]
"""Case notes and messages to the applicant."""
SearchText = Annotated[str, StringConstraints(max_length=200)]
Markup = Annotated[str, StringConstraints(max_length=100_000)]
"""Document templates (HTML, CSS)."""

Id = Annotated[int, Strict(), Field(ge=1, le=BIGINT_MAX)]
Version = Annotated[int, Strict(), Field(ge=0, le=2**31 - 1)]
Satang = Annotated[int, Strict(), Field(ge=0, le=10**12)]
"""Up to ten billion baht."""
Days = Annotated[int, Strict(), Field(ge=0, le=3650)]
Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]
Level = Annotated[int, Strict(), Field(ge=0, le=20)]
Percent = Annotated[int, Strict(), Field(ge=0, le=100)]

PathId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
PathCode = Annotated[str, StringConstraints(max_length=64)]
