"""Fixtures for documents: private storage in a temporary folder, and one issued document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from borikan.agencies.models import Agency
from borikan.documents.models import IssuedDocument
from borikan.documents.services import document_issue
from borikan.documents.signing import forget_loaded_identities
from borikan.identity.models import User

LICENCE_FIELDS = {
    "ประเภทใบอนุญาต": "ใบอนุญาตขับรถยนต์ส่วนบุคคลชั่วคราว",
    "หมู่โลหิต": "โอ",
}


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One development CA for the whole run, outside the checkout's var/pki."""
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def dev_signing_keys(settings: Any, signing_dir: Path) -> Iterator[Path]:
    """Development keys allowed, in the run's own CA; each test starts with no key loaded in memory."""
    settings.BORIKAN_SIGNING_DEV_KEYS = True
    settings.BORIKAN_SIGNING_DIR = signing_dir
    forget_loaded_identities()
    yield signing_dir
    forget_loaded_identities()


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> Path:
    """Issued PDFs go to a temporary folder instead of the checkout's var/media."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location


def issue(
    *,
    agency: Agency,
    holder: User,
    actor: User | None = None,
    title_th: str = "ใบอนุญาตขับรถ",
    title_en: str = "Driving licence",
    fields: dict[str, str] | None = None,
    valid_days: int | None = 730,
    case_ref: str | None = None,
) -> IssuedDocument:
    return document_issue(
        actor=actor,
        case_ref=str(uuid.uuid4()) if case_ref is None else case_ref,
        agency=agency,
        holder=holder,
        title_th=title_th,
        title_en=title_en,
        fields=dict(LICENCE_FIELDS) if fields is None else fields,
        valid_days=valid_days,
    )


@pytest.fixture
def document(agency: Agency, citizen: User, approver: User) -> IssuedDocument:
    return issue(agency=agency, holder=citizen, actor=approver)
