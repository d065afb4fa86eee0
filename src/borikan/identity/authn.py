"""How strongly a session is authenticated: its AAL follows from the methods used in it.

A browser session keeps its method uses in the session (`SESSION_KEY`); an API token keeps them on the token
(`ApiToken.auth_methods`). Both are lists of `{"method", "at"}` (epoch seconds), plus `"aal"` for a federated
login, whose provider asserts the level. The AAL is computed on every request from what is still fresh:

| methods used in the session                  | AAL  |
|----------------------------------------------|------|
| one factor: password, TOTP or recovery code  | 1    |
| password + recovery code (a look-up secret)  | 2.1  |
| password + TOTP (a key held in an app)        | 2.2  |
| passkey with user verification (WebAuthn)    | 2.2  |
| federated login                              | what the provider asserted (its `acr`), capped per provider |

Our reading of the ETDA sub-levels (docs/assurance.md): 2.1 is two factors where the second is weaker,
2.2 two factors with a possession factor bound to a device. AAL 3 needs a hardware authenticator that resists
verifier impersonation: only a provider configured to assert it gives it here.

Re-authentication (NIST SP 800-63B §4): AAL 2 and 3 last 12 hours from the factors' use and end after
30 minutes (AAL 2) or 15 minutes (AAL 3) without activity; the session then falls back to AAL 1, which lasts
30 days, and a protected step asks for the second factor again (step-up).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from borikan.audit.services import audit_record

SESSION_KEY = "borikan_authn"
ACTIVITY_RESOLUTION = 60  # seconds: the last-activity stamp is written at most once a minute

AAL0 = Decimal("0")
AAL1 = Decimal("1")
AAL2_1 = Decimal("2.1")
AAL2_2 = Decimal("2.2")
AAL3 = Decimal("3")

# (absolute, idle) limits in seconds by NIST level; None: no idle limit.
REAUTHENTICATION = {
    1: (30 * 24 * 3600, None),
    2: (12 * 3600, 30 * 60),
    3: (12 * 3600, 15 * 60),
}


class Method(StrEnum):
    PASSWORD = "password"  # noqa: S105 (a method name, not a secret)
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    PASSKEY = "webauthn"
    FEDERATED = "federated"


SINGLE_FACTOR = {Method.PASSWORD, Method.TOTP, Method.RECOVERY_CODE}
# A history entry, not a method: from `at` on, the second factors used before it no longer count at levels
# >= its `aal` (an idle limit passed there). Without it, the request refused for want of AAL 2 would stamp the
# activity and the next one would be at AAL 2 again with no new factor (issue 11).
LAPSED = "lapsed"


@dataclass(frozen=True)
class MethodUse:
    method: str
    at: int
    aal: Decimal | None = None  # asserted by a federated provider

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MethodUse:
        aal = data.get("aal")
        return cls(method=data["method"], at=int(data["at"]), aal=Decimal(aal) if aal else None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "at": self.at}
        if self.aal is not None:
            data["aal"] = str(self.aal)
        return data


def _strength(uses: list[MethodUse]) -> Decimal:
    """The AAL the given method uses reach together, ignoring time."""
    methods = {use.method for use in uses}
    best = AAL1 if methods & SINGLE_FACTOR else AAL0
    if Method.PASSKEY in methods:
        best = max(best, AAL2_2)
    if Method.PASSWORD in methods and Method.TOTP in methods:
        best = max(best, AAL2_2)
    if Method.PASSWORD in methods and Method.RECOVERY_CODE in methods:
        best = max(best, AAL2_1)
    for use in uses:
        if use.method == Method.FEDERATED and use.aal is not None:
            best = max(best, use.aal)
    return best


LEVEL_TOP = {1: AAL1, 2: AAL2_2, 3: AAL3}


def _lapse_cutoff(uses: list[MethodUse], level: int) -> int:
    """When the second factors of `level` last lapsed (0: never)."""
    return max((u.at for u in uses if u.method == LAPSED and u.aal is not None and int(u.aal) <= level), default=0)


def _counts_at(use: MethodUse, level: int, cutoff: int) -> bool:
    return use.method != LAPSED and (level < 2 or use.method == Method.PASSWORD or use.at >= cutoff)


def aal_of(uses: list[MethodUse], *, last_activity: int | None, now: int | None = None) -> Decimal:
    """The AAL of a session with these method uses, given when it was last active."""
    now = int(time.time()) if now is None else now
    idle = now - last_activity if last_activity is not None else 0
    for level in (3, 2, 1):
        absolute, idle_limit = REAUTHENTICATION[level]
        if idle_limit is not None and idle > idle_limit:
            continue
        cutoff = _lapse_cutoff(uses, level)
        reached = _strength([use for use in uses if now - use.at <= absolute and _counts_at(use, level, cutoff)])
        if int(reached) >= level:
            return min(reached, LEVEL_TOP[level])
    return AAL0


class Assurance:
    """What this person is proven to be (IAL) and how strongly this session is authenticated (AAL).

    The IAL is read from the proofing records only when something asks for it."""

    def __init__(self, *, user: Any, aal: Decimal, methods: tuple[str, ...] = (), ial: Decimal | None = None):
        self.user = user
        self.aal = aal
        self.methods = methods
        if ial is not None:
            self.__dict__["ial"] = ial

    @cached_property
    def ial(self) -> Decimal:
        from .selectors import current_ial

        return current_ial(user=self.user)

    def __repr__(self) -> str:
        return f"Assurance(aal={self.aal}, methods={self.methods})"


# --- browser sessions --------------------------------------------------------------------------------------


def _session_state(request: HttpRequest) -> dict[str, Any]:
    return request.session.get(SESSION_KEY) or {"methods": [], "last_activity": None}


def session_uses(request: HttpRequest) -> list[MethodUse]:
    return [MethodUse.from_dict(item) for item in _session_state(request)["methods"]]


def session_methods(request: HttpRequest) -> list[str]:
    return [use.method for use in session_uses(request)]


def session_aal(request: HttpRequest, *, now: int | None = None) -> Decimal:
    state = _session_state(request)
    return aal_of(
        [MethodUse.from_dict(item) for item in state["methods"]], last_activity=state["last_activity"], now=now
    )


def with_lapses(methods: list[dict[str, Any]], *, last_activity: int | None, now: int) -> list[dict[str, Any]]:
    """The method history, with a lapse entry when the idle time before `now` passed a level's idle limit: the
    activity stamp may then move on, but the second factors it outlived never count again."""
    if last_activity is None:
        return methods
    idle = now - last_activity
    lapsed = [level for level in (2, 3) if (limit := REAUTHENTICATION[level][1]) is not None and idle > limit]
    if not lapsed or not any(item.get("method") not in (LAPSED, Method.PASSWORD) for item in methods):
        return methods
    # The history stays short: the latest uses, and the latest lapse of each level (a newer one supersedes).
    kept = [item for item in methods if item.get("method") != LAPSED][-20:]
    latest: dict[str, dict[str, Any]] = {}
    for item in methods:
        if item.get("method") == LAPSED:
            latest[str(item.get("aal"))] = item
    latest[str(min(lapsed))] = {"method": LAPSED, "at": now, "aal": str(min(lapsed))}
    return [*kept, *latest.values()]


def session_touch(request: HttpRequest) -> None:
    """Record activity (for the idle limits), at most once a minute to spare session writes."""
    state = _session_state(request)
    now = int(time.time())
    if state["methods"] and (state["last_activity"] is None or now - state["last_activity"] >= ACTIVITY_RESOLUTION):
        state["methods"] = with_lapses(state["methods"], last_activity=state["last_activity"], now=now)
        state["last_activity"] = now
        request.session[SESSION_KEY] = state


def session_log_in(request: HttpRequest, user: Any, method: Method, *, aal: Decimal | None = None) -> None:
    """Sign the person in with a first method: a new session key (Django's `login` rotates it) and a fresh
    method history."""
    login(request, user, backend="borikan.identity.backends.EmailOrMobileBackend")
    now = int(time.time())
    request.session[SESSION_KEY] = {
        "methods": [MethodUse(method=method, at=now, aal=aal).as_dict()],
        "last_activity": now,
    }


def session_step_up(request: HttpRequest, method: Method, *, aal: Decimal | None = None) -> Decimal:
    """Add a method used in this session (a second factor). The session key is rotated, so a session ID seen
    before the step-up is worth nothing after it. Returns the new AAL."""
    state = _session_state(request)
    now = int(time.time())
    before = session_aal(request)
    state["methods"] = [*state["methods"], MethodUse(method=method, at=now, aal=aal).as_dict()]
    state["last_activity"] = now
    request.session.cycle_key()
    request.session[SESSION_KEY] = state
    after = session_aal(request)
    audit_record(
        actor=request.user,
        action="auth.step_up",
        object_type="user",
        object_id=request.user.pk,
        subject_user_id=request.user.pk,
        data={"method": str(method), "aal_before": str(before), "aal_after": str(after)},
    )
    return after


# --- API tokens --------------------------------------------------------------------------------------------


def token_uses(token: Any) -> list[MethodUse]:
    return [MethodUse.from_dict(item) for item in token.auth_methods or []]


def token_aal(token: Any, *, now: int | None = None) -> Decimal:
    last = int(token.last_used_at.timestamp()) if token.last_used_at else None
    return aal_of(token_uses(token), last_activity=last, now=now)


def token_step_up(token: Any, method: Method, *, aal: Decimal | None = None) -> Decimal:
    from django.utils import timezone

    before = token_aal(token)
    token.auth_methods = [*token.auth_methods, MethodUse(method=method, at=int(time.time()), aal=aal).as_dict()]
    token.last_used_at = timezone.now()
    token.save(update_fields=["auth_methods", "last_used_at"])
    after = token_aal(token)
    audit_record(
        actor=token.user,
        action="auth.step_up",
        object_type="user",
        object_id=token.user_id,
        subject_user_id=token.user_id,
        data={"method": str(method), "aal_before": str(before), "aal_after": str(after), "channel": "api"},
    )
    return after


# --- the request's assurance ------------------------------------------------------------------------------


def attach(user: Any, *, aal: Decimal, methods: tuple[str, ...]) -> None:
    """Give the authenticated user object this request's assurance; services read it through `assurance_of`."""
    user.assurance = Assurance(user=user, aal=aal, methods=methods)


def assurance_of(actor: Any) -> Assurance:
    """The assurance an actor acts with. Outside a request (a task, a command) a person has their proven IAL
    but no authenticated session: AAL 0."""
    found = getattr(actor, "assurance", None)
    if found is not None:
        return found
    return Assurance(user=actor, aal=AAL0)
