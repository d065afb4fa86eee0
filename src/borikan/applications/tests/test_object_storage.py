"""Attachments in S3-compatible object storage (production's BORIKAN_STORAGE=s3), against a real S3 protocol
server run as its own process (moto's server): stored encrypted, private, streamed only after the access check."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from borikan.applications.models import Attachment
from borikan.conftest import sign_in

pytestmark = pytest.mark.slow
PDF = b"%PDF-1.7\n" + b"0" * 64
BUCKET = "borikan-private"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the S3 server did not start")
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "region_name": "ap-southeast-1",
        "access_key": "test-access-key",
        "secret_key": "test-secret-key",
        "default_acl": "private",
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"},
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="ap-southeast-1",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )
    if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client


@pytest.mark.django_db
def test_an_attachment_goes_to_the_bucket_encrypted_and_comes_back_only_to_the_applicant(
    s3_storage, service, citizen, other_citizen, api_as
):
    api = api_as(citizen)
    app_id = api.post("/api/v1/applications", {"service": service.slug, "form_data": {}}, "application/json").json()[
        "id"
    ]
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    stored = api.post(f"/api/v1/applications/{app_id}/attachments", {"file": upload})
    assert stored.status_code == 201, stored.content
    attachment = Attachment.objects.get()
    head = s3_storage.head_object(Bucket=BUCKET, Key=attachment.file.name)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(PDF)

    url = reverse("applications:attachment", args=[app_id, attachment.pk])
    mine = sign_in(Client(), citizen).get(url)
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == PDF
    assert sign_in(Client(), other_citizen).get(url).status_code == 404
