from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from borikan.core.fields import Code, Days, Email, Label, Level, Text, Version


class LevelIn(Schema):
    role: Code
    may_reject: bool = True
    name_th: Label = ""
    name_en: Label = ""


class ChainIn(Schema):
    levels: list[LevelIn] = Field(..., max_length=50)  # the service allows MAX_LEVELS and says so
    appeal_window_days: Days = 15
    appeal_level: Level | None = None
    note: Text = ""
    expected_version: Version | None = None


class LevelOut(Schema):
    position: int
    role: str
    may_reject: bool
    name_th: str
    name_en: str


class ChainOut(Schema):
    service: str
    version: int
    appeal_window_days: int
    appeal_level: int | None
    note: str
    created_at: dt.datetime
    created_by_id: int | None
    levels: list[LevelOut]


class DelegationIn(Schema):
    agency: Code
    delegate_email: Email
    starts_on: dt.date
    ends_on: dt.date
    delegator_email: Email | None = None  # an agency admin delegating for someone; default: yourself
    reason: Text = ""


class DelegationOut(Schema):
    id: int
    agency: str
    delegator_id: int
    delegator_name: str
    delegate_id: int
    delegate_name: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str
    revoked_at: dt.datetime | None
    active_today: bool


class RoleIn(Schema):
    user_email: Email
    role: Code


class RoleOut(Schema):
    agency: str
    user_id: int
    role: str
    label_th: str
    label_en: str


class DecisionOut(Schema):
    id: int
    round: int
    level: int
    level_role: str
    outcome: str
    reason: str
    decided_by_id: int
    decided_by_name: str
    on_behalf_of_id: int | None
    on_behalf_of_name: str | None
    decided_at: dt.datetime
    form_data_sha256: str
    chain_complete: bool


class PinOut(Schema):
    service: str
    pinned_at: dt.datetime
    form_version: str
    fee_rule: dict
    fee_rule_sha256: str
    manual: dict
    manual_sha256: str
    chain_version: int
    checklist_version: str


class AppealOut(Schema):
    reason: str
    lodged_at: dt.datetime
    reopened_round: int
    reopened_level: int


class NextStepOut(Schema):
    status: str
    complete: bool
    round: int
    level: int | None
    level_role: str | None
    may_reject: bool | None
    levels_total: int
    last_outcome: str | None


class CaseOut(Schema):
    case_ref: str
    pinned: PinOut
    next_step: NextStepOut
    decisions: list[DecisionOut]
    appeal: AppealOut | None
    appeal_deadline: dt.datetime | None
