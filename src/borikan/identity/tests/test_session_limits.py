"""The idle limit of AAL 2 holds past the refused request (issue 11): before, the refusal stamped the activity and
the very next request was at AAL 2 again without a second factor — in a browser session and with a bearer token."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from borikan.conftest import api_client_for, sign_in
from borikan.identity import authn
from borikan.identity.authn import AAL1, AAL2_2, Method, MethodUse, aal_of, with_lapses
from borikan.identity.models import ApiToken

MIN = 60


def _age_session(client: Client, *, idle_minutes: int) -> None:
    session = client.session
    state = session[authn.SESSION_KEY]
    now = int(time.time())
    state["methods"] = [{**item, "at": now - (idle_minutes + 5) * MIN} for item in state["methods"]]
    state["last_activity"] = now - idle_minutes * MIN
    session[authn.SESSION_KEY] = state
    session.save()


@pytest.mark.django_db
def test_an_idle_staff_session_stays_below_aal2_after_the_refusal(officer):
    client = sign_in(Client(), officer)
    assert client.get("/office/").status_code == 200
    _age_session(client, idle_minutes=31)
    first = client.get("/office/")
    assert first.status_code == 302 and "next=" in first["Location"]  # sent to the second factor
    again = client.get("/office/")
    assert again.status_code == 302, "the refused request must not revive AAL 2"
    # A fresh second factor brings it back.
    session = client.session
    session[authn.SESSION_KEY]["methods"].append(MethodUse(method=Method.TOTP, at=int(time.time())).as_dict())
    session.save()
    assert client.get("/office/").status_code == 200


@pytest.mark.django_db
def test_an_idle_bearer_token_stays_below_aal2_after_the_refusal(officer):
    api = api_client_for(officer)
    assert api.get("/api/v1/applications/queue").status_code == 200
    token = ApiToken.objects.filter(user=officer).latest("created_at")
    old = timezone.now() - dt.timedelta(minutes=36)
    token.auth_methods = [{**item, "at": int(old.timestamp())} for item in token.auth_methods]
    token.last_used_at = timezone.now() - dt.timedelta(minutes=31)
    token.save(update_fields=["auth_methods", "last_used_at"])
    assert api.get("/api/v1/applications/queue").status_code == 403
    assert api.get("/api/v1/applications/queue").status_code == 403, "the refused request must not revive AAL 2"
    token.refresh_from_db()
    authn.token_step_up(token, Method.TOTP)
    assert api.get("/api/v1/applications/queue").status_code == 200


def test_a_lapse_outlives_the_history_being_trimmed():
    now = int(time.time())
    methods = [MethodUse(Method.PASSWORD, now - 50 * MIN).as_dict(), MethodUse(Method.TOTP, now - 50 * MIN).as_dict()]
    methods = with_lapses(methods, last_activity=now - 40 * MIN, now=now - 5 * MIN)
    uses = [MethodUse.from_dict(item) for item in methods]
    assert aal_of(uses, last_activity=now - 5 * MIN, now=now) == AAL1
    stepped = [*uses, MethodUse(Method.TOTP, now - MIN)]
    assert aal_of(stepped, last_activity=now - MIN, now=now) == AAL2_2
    # A later lapse of level 3 only does not bring the level-2 factors of before back.
    again = with_lapses([item.as_dict() for item in uses], last_activity=now - 20 * MIN, now=now)
    assert aal_of([MethodUse.from_dict(i) for i in again], last_activity=now, now=now) == AAL1
