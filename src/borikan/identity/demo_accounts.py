"""Demo accounts for the local portal and the scripted journey. Refused when DEBUG is off unless forced."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from borikan.agencies.models import Agency, StaffRole
from borikan.agencies.services import staff_membership_grant

from .demo_credentials import DEMO_PASSWORD
from .models import User


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    agency: str = ""
    roles: tuple[str, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount("citizen@demo.borikan.localhost", "สมชาย ใจดี"),
    DemoAccount("officer.excise@demo.borikan.localhost", "สมหญิง ตรวจสอบ", "EXCISE", (StaffRole.OFFICER,)),
    DemoAccount("approver.excise@demo.borikan.localhost", "ประเสริฐ อนุมัติ", "EXCISE", (StaffRole.APPROVER,)),
    DemoAccount("officer.rtp@demo.borikan.localhost", "วิชัย สอบสวน", "RTP", (StaffRole.OFFICER, StaffRole.APPROVER)),
    DemoAccount(
        "admin.excise@demo.borikan.localhost",
        "อำนวย ผู้ดูแล",
        "EXCISE",
        (StaffRole.AGENCY_ADMIN, StaffRole.OFFICER),
    ),
)


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(account.email, DEMO_PASSWORD, full_name=account.full_name)
        if account.agency:
            agency = Agency.objects.get(code=account.agency)
            for role in account.roles:
                staff_membership_grant(actor=None, user=user, agency=agency, role=role)
    return list(DEMO_ACCOUNTS)
