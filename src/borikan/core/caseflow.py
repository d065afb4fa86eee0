"""The seam around a case transition: what other apps declare to happen when a case moves (ADR 0017).

The case engine (`applications.engine.transition`) is the one code path that moves a case. Around each move it
runs, in this order, what the apps that own the rules registered here in their `AppConfig.ready()`:

1. ``lock_first`` — rows to lock *before* the case row, in the platform's lock order (an unpaid invoice is
   locked before its case, the order a payment notification takes them too, so the two never deadlock);
2. ``check`` — refusals that need the database (raise an `ApplicationError`); they write nothing, and the
   engine also asks them to decide which buttons a person sees;
3. ``change`` — field changes saved with the new status (the SLA pause, the pinned checklist);
4. the engine writes status, event and audit;
5. ``record`` — rows written in the same transaction (close an information request, ask for a refund, put a
   notice in the delivery outbox, put the document in the wallet);
6. ``effect`` — durable work to run after commit (call the bank, render and sign a document): the engine writes
   one row per effect in the same transaction, and a worker carries it out at least once (idempotently);
7. ``follow`` — the next step the platform takes on its own at once (a fee due after approval).

Hooks receive a `TransitionContext`, a typed object passed explicitly: no flags on the model instance. This
module sits in `core` so that the common services, which never import `applications`, can register hooks and
ask for a move (`move`) through the engine that `applications` plugs in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Case(Protocol):
    """What hooks may rely on in the case they are handed (the locked `applications.Application`)."""

    pk: Any
    status: str
    agency_id: int
    applicant_id: int
    service_id: int
    tracking_number: str | None
    form_data: dict[str, Any]

    @property
    def case_ref(self) -> str: ...


@dataclass
class TransitionContext:
    """One move of one case, handed to every hook of that move."""

    case: Any  # the locked case (see `Case`)
    action: str
    source: str
    target: str
    actor: Any | None
    reason: str
    now: dt.datetime
    # Typed inputs from the entry point and facts one hook hands to a later one, keyed by their class
    # (`ctx.get(InformationRequestSpec)`), so nothing is smuggled on the model instance.
    extras: dict[type, Any] = field(default_factory=dict)
    # Fields that `change` hooks set on the case; the engine saves them with the status.
    changed_fields: list[str] = field(default_factory=list)

    @property
    def case_ref(self) -> str:
        return str(self.case.pk)

    def get(self, kind: type[T]) -> T | None:
        return self.extras.get(kind)

    def put(self, value: object) -> None:
        self.extras[type(value)] = value

    def change(self, **values: Any) -> None:
        """Set fields on the case, saved together with its new status."""
        for name, value in values.items():
            setattr(self.case, name, value)
            if name not in self.changed_fields:
                self.changed_fields.append(name)


@dataclass(frozen=True)
class EffectJob:
    """A durable effect handed to its handler by the worker: the same key every attempt (use it as the
    idempotency key towards outside systems)."""

    name: str
    key: str
    case_ref: str
    payload: Mapping[str, Any]
    attempt: int


Hook = Callable[[TransitionContext], None]
Predicate = Callable[[TransitionContext], bool]
FollowUp = Callable[[TransitionContext], str | None]


@dataclass(frozen=True)
class _When:
    actions: frozenset[str] | None
    targets: frozenset[str] | None

    def matches(self, ctx: TransitionContext) -> bool:
        return (self.actions is None or ctx.action in self.actions) and (
            self.targets is None or ctx.target in self.targets
        )


@dataclass(frozen=True)
class _Registered:
    when: _When
    fn: Callable[..., Any]
    owner: str
    # A check that also decides whether a button is shown (False: only the move itself is refused, with its
    # reason — an incomplete form still shows "submit", which then says what is missing).
    for_buttons: bool = True


@dataclass(frozen=True)
class Effect:
    name: str
    when: _When
    handler: Callable[[EffectJob], None]
    applies: Predicate
    payload: Callable[[TransitionContext], dict[str, Any]]
    owner: str
    max_attempts: int


KINDS = ("lock_first", "check", "change", "record", "follow")
_hooks: dict[str, list[_Registered]] = {kind: [] for kind in KINDS}
_effects: dict[str, Effect] = {}
_engine: Callable[..., Any] | None = None


def _values(items: Iterable[Any] | None) -> frozenset[str] | None:
    if items is None:
        return None
    return frozenset(str(getattr(item, "value", item)) for item in items)


def _register(
    kind: str,
    fn: Callable[..., Any],
    actions: Iterable[Any] | None,
    targets: Iterable[Any] | None,
    for_buttons: bool = True,
) -> None:
    entry = _Registered(_When(_values(actions), _values(targets)), fn, getattr(fn, "__module__", "?"), for_buttons)
    if not any(existing.fn is fn and existing.when == entry.when for existing in _hooks[kind]):
        _hooks[kind].append(entry)


def on_lock_first(fn: Callable[[str, str], None], *, actions: Iterable[Any]) -> None:
    """`fn(case_ref, action)` locks rows that must be locked before the case (inside the move's transaction)."""
    _register("lock_first", fn, actions, None)


def on_check(
    fn: Hook,
    *,
    actions: Iterable[Any] | None = None,
    targets: Iterable[Any] | None = None,
    for_buttons: bool = True,
) -> None:
    _register("check", fn, actions, targets, for_buttons)


def on_change(fn: Hook, *, actions: Iterable[Any] | None = None, targets: Iterable[Any] | None = None) -> None:
    _register("change", fn, actions, targets)


def on_record(fn: Hook, *, actions: Iterable[Any] | None = None, targets: Iterable[Any] | None = None) -> None:
    _register("record", fn, actions, targets)


def on_follow(fn: FollowUp, *, actions: Iterable[Any] | None = None, targets: Iterable[Any] | None = None) -> None:
    """`fn(ctx)` names the action the platform takes next on its own, in the same transaction, or None."""
    _register("follow", fn, actions, targets)


def effect(
    name: str,
    handler: Callable[[EffectJob], None],
    *,
    actions: Iterable[Any] | None = None,
    targets: Iterable[Any] | None = None,
    applies: Predicate = lambda ctx: True,
    payload: Callable[[TransitionContext], dict[str, Any]] = lambda ctx: {},
    max_attempts: int = 12,
) -> None:
    """Declare a durable effect: recorded with the move, run after commit by a worker, retried until done."""
    _effects[name] = Effect(
        name=name,
        when=_When(_values(actions), _values(targets)),
        handler=handler,
        applies=applies,
        payload=payload,
        owner=getattr(handler, "__module__", "?"),
        max_attempts=max_attempts,
    )


def hooks(kind: str, ctx: TransitionContext, *, for_buttons: bool = False) -> list[Callable[..., Any]]:
    return [entry.fn for entry in _hooks[kind] if entry.when.matches(ctx) and (entry.for_buttons or not for_buttons)]


def lock_first_hooks(action: str) -> list[Callable[[str, str], None]]:
    return [entry.fn for entry in _hooks["lock_first"] if entry.when.actions is None or action in entry.when.actions]


def effects_for(ctx: TransitionContext) -> list[Effect]:
    return [e for e in _effects.values() if e.when.matches(ctx) and e.applies(ctx)]


def effect_named(name: str) -> Effect | None:
    return _effects.get(name)


def registered() -> dict[str, list[tuple[str, str]]]:
    """What is registered, by kind: (owner module, function) pairs, for the architecture docs and tests."""
    table: dict[str, list[tuple[str, str]]] = {
        kind: [(entry.owner, entry.fn.__qualname__) for entry in entries] for kind, entries in _hooks.items()
    }
    table["effect"] = [(e.owner, e.name) for e in _effects.values()]
    return table


# --- what an actor may see of a case (the read side of the seam) --------------------------------------------------

# A field policy: given the actor, the case and the purpose of the read, the form fields to leave out (empty: all
# shown). The privacy app will register the one that applies each agency's legal mandate, field by field; every
# page, API answer, export and notice reads a case through `applications.projection.case_view_for`, which asks
# them all.
FieldPolicy = Callable[[Any, Any, str], Iterable[str]]
_field_policies: list[FieldPolicy] = []


def on_view(policy: FieldPolicy) -> None:
    if policy not in _field_policies:
        _field_policies.append(policy)


def hidden_fields(actor: Any, case: Any, purpose: str) -> frozenset[str]:
    hidden: set[str] = set()
    for policy in _field_policies:
        hidden |= set(policy(actor, case, purpose))
    return frozenset(hidden)


def visible_form_data(actor: Any, case: Any, purpose: str) -> dict[str, Any]:
    """The case's form data less the fields the policies hide from `actor` (None: the platform) for `purpose`."""
    hidden = hidden_fields(actor, case, purpose)
    return {name: value for name, value in case.form_data.items() if name not in hidden}


def field_policies() -> list[FieldPolicy]:
    return list(_field_policies)


# --- the port through which casework reaches the case ------------------------------------------------------------


@dataclass(frozen=True)
class CasePort:
    """What the engine lends the apps below it that work on cases (casework): the case model (for its queries),
    its open statuses, the row lock, and the locked move. Plugged in by `applications` at start-up."""

    model: Any
    open_statuses: frozenset[str]
    lock: Callable[[Any], Any]
    move_locked: Callable[..., Any]


_cases: CasePort | None = None


def plug_cases(port: CasePort) -> None:
    global _cases
    _cases = port


def cases() -> CasePort:
    if _cases is None:  # pragma: no cover - only before the app registry is ready
        raise RuntimeError("the case engine is not plugged in yet")
    return _cases


# --- the port through which lower layers ask for a move ----------------------------------------------------------


def plug_engine(engine: Callable[..., Any]) -> None:
    """`applications` plugs its engine in at start-up."""
    global _engine
    _engine = engine


def move(*, case_ref: str, action: str, actor: Any, reason: str = "", extras: Iterable[object] = ()) -> Any:
    """Move a case through the engine, from an app that may not import `applications` (casework jobs,
    approvals). Same locks, checks, records and effects as every other entry point."""
    if _engine is None:  # pragma: no cover - only before the app registry is ready
        raise RuntimeError("the case engine is not plugged in yet")
    return _engine(application_id=case_ref, action=action, actor=actor, reason=reason, extras=tuple(extras))


def extras_map(extras: Iterable[object]) -> dict[type, Any]:
    return {type(extra): extra for extra in extras}
