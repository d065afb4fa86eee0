"""Architecture checks: migrations match the models, the API document is served, dependencies point one way."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

SRC = Path(__file__).resolve().parents[2]  # src/borikan


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_layers_hold():
    """The import-linter contracts of pyproject.toml (also run by `make lint`): the case engine above casework, the
    common services, catalog, identity, agencies, audit and core; nothing imports governance; the domain never
    imports the HTTP layer."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"],
        cwd=SRC.parents[1],
        env={**os.environ, "PYTHONPATH": str(SRC.parent)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_openapi_document_is_served_at_a_stable_url():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/services",
        "/api/v1/applications",
        "/api/v1/applications/{application_id}/submit",
        "/api/v1/payments/webhooks/gateway",
        "/api/v1/documents/verify/{code}",
    ):
        assert path in paths


def test_every_api_operation_declares_auth_unless_listed_public():
    public = {
        ("get", "/api/v1/services"),
        ("get", "/api/v1/services/{slug}"),
        ("get", "/api/v1/services/search"),
        ("get", "/api/v1/services/catalogue.schema.json"),
        ("post", "/api/v1/auth/signup"),
        ("post", "/api/v1/auth/signup/phone/start"),
        ("post", "/api/v1/auth/signup/phone"),
        ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/passkeys/login/begin"),
        ("post", "/api/v1/auth/passkeys/login/complete"),
        ("get", "/api/v1/auth/federation/providers"),
        ("post", "/api/v1/payments/webhooks/gateway"),
        ("get", "/api/v1/documents/verify/{code}"),
        ("post", "/api/v1/documents/verify-pdf"),
        ("get", "/api/v1/documents/keys"),
        ("get", "/api/v1/documents/keys/{agency_code}"),
        ("get", "/api/v1/documents/revocations/{agency_code}"),
        ("get", "/api/v1/governance/services/{slug}"),
        ("get", "/api/v1/governance/agencies/{code}"),
        ("post", "/api/v1/auth/verify-email"),
    }
    for path, operations in Client().get("/api/v1/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if (method, path) in public:
                assert not operation.get("security"), (method, path)
            else:
                assert operation.get("security"), f"{method} {path} has no auth"


def test_production_settings_pass_the_deployment_checklist():
    import os
    import secrets
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "borikan.config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "BORIKAN_GATEWAY_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DATABASE_URL": "postgres://borikan@db.invalid:5432/borikan",
        "BORIKAN_MAIL_BACKEND": "smtp",
        "BORIKAN_PII_KEYS": "k1:" + "A" * 43,
        "BORIKAN_PII_LOOKUP_KEY": secrets.token_urlsafe(32),
        "BORIKAN_SIGNING_KEYS": '{"EXCISE": {"pkcs12": "/run/secrets/excise.p12", "passphrase_env": "EXCISE_P12"}}',
        "BORIKAN_WEBAUTHN_RP_ID": "borikan.example.go.th",
        "BORIKAN_WEBAUTHN_ORIGINS": "https://borikan.example.go.th",
        "BORIKAN_TRUSTED_PROXIES": "1",
        "REDIS_CACHE_URL": "redis://cache.invalid:6379/1",
        "PYTHONPATH": str(SRC.parent),
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    for missing in ("BORIKAN_TRUSTED_PROXIES", "REDIS_CACHE_URL"):
        refused = subprocess.run(
            [sys.executable, "-m", "django", "check", "--deploy"],
            env={name: value for name, value in env.items() if name != missing},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr, missing
