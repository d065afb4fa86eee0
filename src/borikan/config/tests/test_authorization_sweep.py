"""Deny by default, checked on everything there is: every page in the URL conf and every operation in the
OpenAPI document has a rule here, and each rule is tried with the actors who must be refused.

Rules:
- PUBLIC: anyone, signed in or not.
- SIGNED_IN: any signed-in person, acting on their own account (nothing of another person's is in the path).
- OWNER: the citizen whose application, invoice or document is in the path, and the staff of its agency in
  the roles given (none: the owner alone).
- STAFF: staff of the object's agency in the roles given; no citizen.

Every actor who is not allowed must be refused (pages: a redirect to sign in, 403 or 404; the API: 401, 403,
404) and nothing they receive with a 2xx may contain the owner's data (the world's markers). A page or
operation added without a rule fails `test_every_endpoint_has_a_rule`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from borikan.agencies.models import StaffRole

from . import sweep_world as sw
from .sweep_world import MISSING_ID, ROLES, Actor


@dataclass(frozen=True)
class Rule:
    kind: str  # public, signed_in, any_staff, owner, staff, operator
    roles: tuple[str, ...] = ()
    present: bool = True  # the world holds the object in the path (False: a sample id, only refusals are tried)


PUBLIC, SIGNED_IN, ANY_STAFF, OPERATOR = Rule("public"), Rule("signed_in"), Rule("any_staff"), Rule("operator")
OF, AP, AD, DI = (
    StaffRole.OFFICER.value,
    StaffRole.APPROVER.value,
    StaffRole.AGENCY_ADMIN.value,
    StaffRole.DIRECTOR.value,
)


def OWNER(*roles: str, present: bool = True) -> Rule:
    """The owner, and the staff of the owner's agency in these roles."""
    return Rule("owner", roles, present)


def STAFF(*roles: str, present: bool = True) -> Rule:
    """Staff of the object's agency in these roles (none given: any role)."""
    return Rule("staff", roles or ROLES, present)


ALL = ROLES
API_RULES: dict[str, Rule] = {
    "POST /api/v1/auth/signup": PUBLIC,
    "POST /api/v1/auth/verify-email": PUBLIC,
    "POST /api/v1/auth/signup/phone/start": PUBLIC,
    "POST /api/v1/auth/signup/phone": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/me": SIGNED_IN,
    "POST /api/v1/auth/logout-everywhere": SIGNED_IN,
    "POST /api/v1/auth/totp/setup": SIGNED_IN,
    "POST /api/v1/auth/totp/confirm": SIGNED_IN,
    "DELETE /api/v1/auth/totp": SIGNED_IN,
    "POST /api/v1/auth/step-up": SIGNED_IN,
    "POST /api/v1/auth/recovery-codes": SIGNED_IN,
    "POST /api/v1/auth/passkeys/register/begin": SIGNED_IN,
    "POST /api/v1/auth/passkeys/register/complete": SIGNED_IN,
    "POST /api/v1/auth/passkeys/login/begin": PUBLIC,
    "POST /api/v1/auth/passkeys/login/complete": PUBLIC,
    "POST /api/v1/auth/passkeys/step-up/begin": SIGNED_IN,
    "POST /api/v1/auth/passkeys/step-up/complete": SIGNED_IN,
    "GET /api/v1/auth/passkeys": SIGNED_IN,
    "DELETE /api/v1/auth/passkeys/{passkey_id}": SIGNED_IN,
    "GET /api/v1/auth/federation/providers": PUBLIC,
    "GET /api/v1/auth/assurance": SIGNED_IN,
    "POST /api/v1/auth/proofing/counter": ANY_STAFF,
    "POST /api/v1/auth/proofing/records/{record_id}/revoke": ANY_STAFF,
    "GET /api/v1/auth/juristic/representations": SIGNED_IN,
    "POST /api/v1/auth/juristic/representations": ANY_STAFF,
    "POST /api/v1/auth/juristic/representations/{representation_id}/revoke": ANY_STAFF,
    "GET /api/v1/services": PUBLIC,
    "GET /api/v1/services/search": PUBLIC,
    "GET /api/v1/services/search/synonyms": OPERATOR,
    "POST /api/v1/services/search/synonyms": OPERATOR,
    "DELETE /api/v1/services/search/synonyms/{synonym_id}": OPERATOR,
    "GET /api/v1/services/catalogue.schema.json": PUBLIC,
    "GET /api/v1/services/export": OPERATOR,
    "GET /api/v1/services/{slug}": PUBLIC,
    "GET /api/v1/services/{slug}/risk-assessments": STAFF(),
    "POST /api/v1/services/{slug}/risk-assessments": STAFF(AD),
    "POST /api/v1/services/{slug}/publish": STAFF(AD),
    "POST /api/v1/services/{slug}/withdraw": STAFF(AD),
    "POST /api/v1/applications": SIGNED_IN,
    "GET /api/v1/applications": SIGNED_IN,
    "GET /api/v1/applications/queue": SIGNED_IN,
    "GET /api/v1/applications/service-checklists/{slug}": STAFF(present=False),
    "PUT /api/v1/applications/service-checklists/{slug}": STAFF(AD),
    "GET /api/v1/applications/service-casework/{slug}": STAFF(present=False),
    "PUT /api/v1/applications/service-casework/{slug}": STAFF(AD),
    "GET /api/v1/applications/{application_id}": OWNER(*ALL),
    "PUT /api/v1/applications/{application_id}/form": OWNER(),
    "POST /api/v1/applications/{application_id}/attachments": OWNER(),
    "POST /api/v1/applications/{application_id}/submit": OWNER(),
    "POST /api/v1/applications/{application_id}/resubmit": OWNER(),
    "POST /api/v1/applications/{application_id}/appeal": OWNER(),
    "POST /api/v1/applications/{application_id}/withdraw": OWNER(),
    "POST /api/v1/applications/{application_id}/actions/{action}": STAFF(OF, AP),
    "GET /api/v1/applications/{application_id}/casework": STAFF(),
    "POST /api/v1/applications/{application_id}/assign": STAFF(OF, AD),
    "POST /api/v1/applications/{application_id}/notes": STAFF(),
    "POST /api/v1/applications/{application_id}/checklist": STAFF(OF),
    "POST /api/v1/applications/{application_id}/information-requests": STAFF(OF),
    "POST /api/v1/applications/{application_id}/delay": STAFF(OF, AP),
    "POST /api/v1/payments/webhooks/gateway": PUBLIC,
    "GET /api/v1/payments/invoices/{number}": OWNER(*ALL),
    "GET /api/v1/payments/receipts/{number}": OWNER(*ALL, present=False),
    "POST /api/v1/payments/invoices/{number}/refunds": STAFF(OF, AP),
    "GET /api/v1/payments/invoices/{number}/refunds": OWNER(*ALL),
    "POST /api/v1/payments/refunds/{refund_id}/approve": STAFF(AP, present=False),
    "POST /api/v1/payments/refunds/{refund_id}/reject": STAFF(AP, present=False),
    "POST /api/v1/payments/refunds/{refund_id}/send": STAFF(AP, present=False),
    "POST /api/v1/payments/refunds/{refund_id}/pay-out": STAFF(OF, AP, present=False),
    "GET /api/v1/payments/invoices/{number}/charges": OWNER(*ALL),
    "POST /api/v1/payments/invoices/{number}/counter-payments": STAFF(OF, AP),
    "GET /api/v1/payments/counter/day-sheet": SIGNED_IN,
    "GET /api/v1/payments/counter/day-sheet.csv": SIGNED_IN,
    "GET /api/v1/payments/services/{slug}/fees": STAFF(present=False),
    "PUT /api/v1/payments/services/{slug}/fees": STAFF(AD),
    "POST /api/v1/payments/services/{slug}/fees/quote": SIGNED_IN,
    "POST /api/v1/payments/exemption-claims/{claim_id}/decide": STAFF(OF, AP, present=False),
    "GET /api/v1/documents/wallet": SIGNED_IN,
    "GET /api/v1/documents/verify/{code}": PUBLIC,
    "POST /api/v1/documents/verify-pdf": PUBLIC,
    "GET /api/v1/documents/keys": PUBLIC,
    "GET /api/v1/documents/keys/{agency_code}": PUBLIC,
    "GET /api/v1/documents/revocations/{agency_code}": PUBLIC,
    "GET /api/v1/documents/{document_id}/pdf": OWNER(*ALL),
    "GET /api/v1/documents/templates/{slug}": STAFF(AD),
    "PUT /api/v1/documents/templates/{slug}/draft": STAFF(AD),
    "GET /api/v1/documents/templates/{slug}/preview": STAFF(AD, present=False),
    "POST /api/v1/documents/templates/{slug}/preview": STAFF(AD),
    "POST /api/v1/documents/templates/{slug}/publish": STAFF(AD),
    "POST /api/v1/documents/{document_id}/suspend": STAFF(AP, AD),
    "POST /api/v1/documents/{document_id}/reinstate": STAFF(AP, AD),
    "POST /api/v1/documents/{document_id}/revoke": STAFF(AP, AD),
    "GET /api/v1/documents/{document_id}/renewal": OWNER(present=False),
    "GET /api/v1/governance/services/{slug}": PUBLIC,
    "GET /api/v1/governance/agencies/{code}": PUBLIC,
    "GET /api/v1/eforms/services/{slug}/versions": STAFF(AD),
    "POST /api/v1/eforms/services/{slug}/draft": STAFF(AD),
    "PUT /api/v1/eforms/services/{slug}/draft": STAFF(AD),
    "POST /api/v1/eforms/services/{slug}/publish": STAFF(AD),
    "GET /api/v1/eforms/services/{slug}/current": SIGNED_IN,
    "GET /api/v1/eforms/applications/{application_id}/definition": OWNER(*ALL),
    "GET /api/v1/approvals/services/{slug}/chain": STAFF(present=False),
    "PUT /api/v1/approvals/services/{slug}/chain": STAFF(AD),
    "GET /api/v1/approvals/services/{slug}/chain/versions": STAFF(),
    "GET /api/v1/approvals/delegations": SIGNED_IN,
    "POST /api/v1/approvals/delegations": SIGNED_IN,
    "POST /api/v1/approvals/delegations/{delegation_id}/revoke": SIGNED_IN,
    "POST /api/v1/approvals/agencies/{code}/roles": STAFF(AD),
    "GET /api/v1/approvals/agencies/{code}/roles": STAFF(),
    "GET /api/v1/approvals/cases/{case_ref}": STAFF(AP, DI, present=False),
    "DELETE /api/v1/approvals/agencies/{code}/roles/{role}/{user_id}": STAFF(AD),
}

# Pages by URL name; "POST name" overrides the rule for that method.
PAGE_RULES: dict[str, Rule] = {
    "csp_report": PUBLIC,
    "set_language": PUBLIC,
    "catalog:search": PUBLIC,
    "catalog:service": PUBLIC,
    "catalog:risk": STAFF(),
    "identity:signup": PUBLIC,
    "identity:signup_phone": PUBLIC,
    "identity:verify_email": PUBLIC,
    "identity:login": PUBLIC,
    "identity:recover": PUBLIC,
    "identity:recover_confirm": PUBLIC,
    "identity:passkey_login": PUBLIC,
    "identity:passkey_login_begin": PUBLIC,
    "identity:passkey_login_complete": PUBLIC,
    "identity:federation_login": PUBLIC,
    "identity:federation_callback": PUBLIC,
    **{
        f"identity:{name}": SIGNED_IN
        for name in [
            "logout",
            "logout_everywhere",
            "step_up",
            "security",
            "email_add",
            "totp_enrol",
            "recovery_codes",
            "passkeys",
            "passkey_step_up",
            "passkey_remove",
            "passkey_register_begin",
            "passkey_register_complete",
            "passkey_step_up_begin",
            "passkey_step_up_complete",
            "federation_link",
            "assurance",
        ]
    },
    "identity:home": SIGNED_IN,
    "agencyadmin:home": SIGNED_IN,
    "agencyadmin:counter": STAFF(AD),
    "identity:counter_proofing": ANY_STAFF,
    "identity:juristic_representation": ANY_STAFF,
    "applications:mine": SIGNED_IN,
    "applications:start": SIGNED_IN,
    "applications:detail": OWNER(*ALL),
    "applications:edit": OWNER(),
    "applications:withdraw": OWNER(),
    "applications:appeal": OWNER(),
    "applications:attachment": OWNER(*ALL, present=False),
    "office:queue": SIGNED_IN,
    "office:case": STAFF(),
    **{
        f"office:{name}": STAFF()
        for name in ["act", "assign", "note_add", "checklist_tick", "request_information", "delay", "service_casework"]
    },
    "payments:invoice": OWNER(*ALL),
    "payments:invoice_refund": STAFF(OF, AP),
    "payments:invoice_counter_payment": STAFF(OF, AP),
    "payments:refund_decide": STAFF(AP, present=False),
    "payments:refund_pay_out": STAFF(OF, AP, present=False),
    "payments:counter_day_sheet": SIGNED_IN,
    "payments:counter_day_sheet_export": SIGNED_IN,
    "payments:receipt": OWNER(*ALL, present=False),
    "payments:receipt_pdf": OWNER(*ALL, present=False),
    "payments:fee_schedule": STAFF(AD),
    "payments:held_payments": SIGNED_IN,
    "payments:held_payment_resolve": STAFF(OF, AP, present=False),
    "payments:reconciliation": SIGNED_IN,
    "payments:reconciliation_run": STAFF(present=False),
    "payments:reconciliation_export": STAFF(present=False),
    "documents:verify_upload": PUBLIC,
    "documents:verify": PUBLIC,
    "documents:detail": OWNER(*ALL),
    "documents:change_status": STAFF(AP, AD),
    "documents:download": OWNER(*ALL),
    "documents:template_edit": STAFF(AD),
    "documents:template_preview": STAFF(AD),
    "delivery:wallet": SIGNED_IN,
    "delivery:share_create": OWNER(),
    "delivery:share_withdraw": OWNER(present=False),
    "delivery:shared": PUBLIC,
    "delivery:shared_pdf": PUBLIC,
    "delivery:staff": SIGNED_IN,
    "delivery:staff_action": STAFF(OF, present=False),
    "governance:agency": PUBLIC,
    "caseforms:review": OWNER(),
    "caseforms:save": OWNER(),
    "caseforms:submit": OWNER(),
    "caseforms:autosave": OWNER(),
    "eforms:address_options": SIGNED_IN,
    "eforms:admin_index": SIGNED_IN,
    **{
        f"eforms:{name}": STAFF(AD)
        for name in ["admin_versions", "admin_draft", "admin_draft_create", "admin_publish", "admin_discard"]
    },
    "eforms:admin_preview": STAFF(AD, present=False),
    "approvals:home": SIGNED_IN,
    "approvals:chain": STAFF(),
    "POST approvals:chain": STAFF(AD),
    "approvals:delegations": SIGNED_IN,
    "approvals:delegation_revoke": SIGNED_IN,
    "approvals:case": STAFF(AP, DI, present=False),
}
REFUSED_API = {401, 403, 404}


def _page_url(world: sw.World, pattern) -> str:
    return reverse(pattern[0], kwargs={k: world.kwargs().get(k, MISSING_ID) for k in pattern[1].pattern.converters})


def _call_page(actor: Actor, world: sw.World, name: str, pattern, method: str):
    url = _page_url(world, (name, pattern))
    client = actor.page_client()
    return getattr(client, method.lower())(url)


def _api_path(world: sw.World, path: str, operation: dict) -> str:
    values = world.kwargs()
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(values.get(parameter["name"], MISSING_ID)))
    query = [f"{p['name']}=x" for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")]
    return path + ("?" + "&".join(query) if query else "")


def _call_api(actor: Actor, world: sw.World, method: str, path: str, operation: dict, schema: dict):
    client = actor.api_client()
    url = _api_path(world, path, operation)
    body = sw.request_body(schema, operation)
    if body is None:
        return getattr(client, method.lower())(url)
    data, content_type = body
    if content_type == "application/json":
        return getattr(client, method.lower())(url, json.dumps(data), content_type=content_type)
    return getattr(client, method.lower())(url, data)


def _api_key(method: str, path: str) -> str:
    return f"{method} {path}"


def _page_rule(name: str, method: str) -> Rule | None:
    return PAGE_RULES.get(f"{method} {name}") or PAGE_RULES.get(name)


def _swept_pages() -> list[tuple[str, Any]]:
    return [(name, pattern) for name, pattern in sw.named_pages() if not name.startswith("bench")]


def test_every_endpoint_has_a_rule():
    """Deny by default: a page or an operation added without a rule here fails, and so does a stale rule."""
    pages = {name for name, _ in _swept_pages()}
    operations = {_api_key(method, path) for method, path, _, _ in sw.operations()}
    assert sorted(pages - PAGE_RULES.keys()) == [], "pages without a rule in PAGE_RULES"
    assert sorted(operations - API_RULES.keys()) == [], "operations without a rule in API_RULES"
    named = {key.split(" ")[-1] for key in PAGE_RULES}
    assert sorted(named - pages) == [] and sorted(API_RULES.keys() - operations) == [], "rules for nothing"


_SKIPPED_MODELS = {"audit", "sessions", "django_tasks_redis"}


def _fingerprint(world: sw.World) -> dict[str, Any]:
    """Row counts of every table but the audit log, sessions and API tokens (every call signs someone in),
    and the state of the world's objects: a refused call leaves all of it as it was."""
    from django.apps import apps

    counts: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in _SKIPPED_MODELS and model._meta.label != "identity.ApiToken"
    }
    for obj in (world.draft, world.submitted, world.invoice, world.draft.service):
        row = type(obj).objects.filter(pk=obj.pk).values().first()
        counts[f"{obj._meta.label}:{obj.pk}"] = {k: v for k, v in (row or {}).items() if k != "updated_at"}
    from borikan.documents.models import IssuedDocument

    counts["document"] = IssuedDocument.objects.filter(pk=world.document_id).values("status").first()
    return counts


def _hostile(rule: Rule, actors: dict[str, Actor]) -> list[Actor]:
    same_agency_others = [actors[role] for role in ROLES if role not in rule.roles]
    return {
        "public": [],
        "signed_in": [actors["anon"]],
        "any_staff": [actors["anon"], actors["owner"], actors["citizen"]],
        "operator": list(actors.values()),
        "owner": [actors["anon"], actors["citizen"], actors["foreign"], *same_agency_others],
        "staff": [actors["anon"], actors["owner"], actors["citizen"], actors["foreign"], *same_agency_others],
    }[rule.kind]


def _entitled(rule: Rule, actors: dict[str, Actor]) -> Actor | None:
    """Who the rule lets in, to show that the world holds the object (else every refusal would be vacuous)."""
    if not rule.present or rule.kind not in {"owner", "staff"}:
        return None
    return actors["owner"] if rule.kind == "owner" else actors[rule.roles[0]]


def _outsiders(rule: Rule, actors: dict[str, Actor]) -> list[Actor]:
    """Signed-in people with nothing to do with the world's owner and agency: what they are shown is their own."""
    return [] if rule.kind in {"public", "operator"} else [actors["citizen"], actors["foreign"]]


def _problem_code(response) -> str:
    if "json" in response.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            return ""
        return body.get("code", "") if isinstance(body, dict) else ""
    return ""


def _check(failures: list[str], what: str, rule: Rule, actors: dict[str, Actor], world, call, api: bool) -> None:
    hostile = _hostile(rule, actors)
    for actor in actors.values():
        before = _fingerprint(world) if actor in hostile else None
        response = call(actor)
        status = response.status_code
        label = f"{what} as {actor.name}: {status} {_problem_code(response)}"
        if status >= 500:
            failures.append(f"{label} (server error)")
            continue
        if actor in hostile:
            if api and actor.name in {"anon", "citizen", "foreign"}:
                refused = status in REFUSED_API or (status == 422 and _problem_code(response) == "invalid_request")
            elif api:
                refused = 400 <= status < 500
            elif actor.name == "anon":
                refused = status in {302, 405} and (status == 405 or "/account/login/" in response["Location"])
            else:
                refused = status in {302, 400, 403, 404, 405, 409, 422}
            if not refused:
                failures.append(f"{label} (must be refused)")
            if _fingerprint(world) != before:
                failures.append(f"{label} (changed what is stored)")
        elif actor in _outsiders(rule, actors) and 200 <= status < 300:
            body = response.content.decode("utf-8", "replace")
            leaked = [marker for marker in world.markers if marker in body]
            if leaked:
                failures.append(f"{label} (shows the owner's {leaked})")
    if (entitled := _entitled(rule, actors)) is not None and what.startswith("GET"):
        response = call(entitled)
        to_login = response.status_code == 302 and "/account/login/" in response.get("Location", "")
        if response.status_code in {401, 403, 404} or (not api and to_login):
            failures.append(f"{what} as {entitled.name}: {response.status_code} (the rule's own actor is refused)")


@pytest.fixture
def sweep(settings, tmp_path):
    world = sw.build_world(settings, tmp_path)
    actors = {"anon": Actor("anon", None), "owner": Actor("owner", world.owner)}
    actors["citizen"] = Actor("citizen", sw.citizen("other@example.com"))
    actors["foreign"] = Actor("foreign", sw.staff("staff@dbd.go.th", world.other_agency, ROLES))
    for role in ROLES:
        actors[role] = Actor(role, sw.staff(f"{role}@excise.go.th", world.agency, (role,)))
    return world, actors


@pytest.mark.django_db
def test_every_page_refuses_whoever_its_rule_leaves_out(sweep):
    world, actors = sweep
    failures: list[str] = []
    for name, pattern in _swept_pages():
        for method in ("GET", "POST"):
            rule = _page_rule(name, method)
            assert rule, name

            def call(actor, name=name, pattern=pattern, method=method):
                return _call_page(actor, world, name, pattern, method)

            _check(failures, f"{method} {name}", rule, actors, world, call, api=False)
    assert failures == []


@pytest.mark.django_db
def test_every_api_operation_refuses_whoever_its_rule_leaves_out(sweep):
    world, actors = sweep
    failures: list[str] = []
    for method, path, operation, schema in sw.operations():
        rule = API_RULES[_api_key(method, path)]

        def call(actor, method=method, path=path, operation=operation, schema=schema):
            return _call_api(actor, world, method, path, operation, schema)

        _check(failures, f"{method} {path}", rule, actors, world, call, api=True)
    assert failures == []
