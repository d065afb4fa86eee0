"""/api/v1/eforms/: the same versions, drafts and publishing for API clients."""

from __future__ import annotations

import pytest

from borikan.eforms.models import FormVersion

from .helpers import rich_definition

pytestmark = pytest.mark.django_db


def test_versions_draft_put_publish(free_service, form_admin, api_as):
    api = api_as(form_admin)
    base = f"/api/v1/eforms/services/{free_service.slug}"
    versions = api.get(base + "/versions")
    assert versions.status_code == 200
    assert [(v["number"], v["status"]) for v in versions.json()] == [(1, "published")]
    assert "citizen_id" in versions.json()[0]["schema"]["properties"]
    created = api.post(base + "/draft")
    assert created.status_code == 201 and created.json()["number"] == 2
    assert api.post(base + "/draft").json()["code"] == "draft_exists"
    schema, ui = rich_definition()
    ui["fields"]["email"]["label_en"] = ""
    put = api.put(
        base + "/draft", {"schema": schema, "ui": ui, "revision": created.json()["revision"]}, "application/json"
    )
    assert put.status_code == 200
    assert put.json()["problems"] == [{"th": "ช่อง email ไม่มีชื่อภาษาอังกฤษ", "en": "Field email has no English label"}]
    refused = api.post(base + "/publish", {}, "application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "form_not_publishable"
    assert refused.json()["errors"]["problems"][0]["en"] == "Field email has no English label"
    ui["fields"]["email"]["label_en"] = "E-mail"
    stale = api.put(
        base + "/draft", {"schema": schema, "ui": ui, "revision": created.json()["revision"]}, "application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_draft"
    api.put(base + "/draft", {"schema": schema, "ui": ui}, "application/json")
    published = api.post(base + "/publish", {}, "application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert FormVersion.objects.get(service=free_service, number=1).status == "retired"


def test_api_access_control(free_service, officer, foreign_admin, citizen, api_as, client):
    base = f"/api/v1/eforms/services/{free_service.slug}"
    assert api_as(officer).post(base + "/draft").status_code == 403
    for outsider in (foreign_admin, citizen):
        assert api_as(outsider).get(base + "/versions").status_code == 404
        assert api_as(outsider).post(base + "/draft").status_code == 404
    assert client.get(base + "/versions").status_code == 401
    assert api_as(officer).get("/api/v1/eforms/services/no-such-service/versions").status_code == 404
    assert not FormVersion.objects.filter(status="draft").exists()


def test_a_malformed_draft_body_is_422(free_service, form_admin, api_as):
    api = api_as(form_admin)
    base = f"/api/v1/eforms/services/{free_service.slug}"
    api.post(base + "/draft")
    response = api.put(base + "/draft", {"schema": "nope", "ui": {}}, "application/json")
    assert response.status_code == 422


def test_clients_read_the_form_to_fill_and_the_form_of_their_case(
    free_service, form_admin, citizen, other_citizen, api_as
):
    from borikan.applications import services as app_services
    from borikan.eforms import services

    api = api_as(citizen)
    current = api.get(f"/api/v1/eforms/services/{free_service.slug}/current")
    assert current.status_code == 200 and current.json()["number"] == 1
    assert current.json()["ui"]["fields"]["citizen_id"]["type"] == "citizen_id"
    app = app_services.application_create(actor=citizen, service_slug=free_service.slug)
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    assert api.get(f"/api/v1/eforms/services/{free_service.slug}/current").json()["number"] == 2
    mine = api.get(f"/api/v1/eforms/applications/{app.pk}/definition")
    assert mine.status_code == 200 and mine.json()["number"] == 1
    assert api_as(other_citizen).get(f"/api/v1/eforms/applications/{app.pk}/definition").status_code == 404
    assert api.get("/api/v1/eforms/services/no-such-service/current").status_code == 404
