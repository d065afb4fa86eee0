"""Background steps of identity: e-mails sent after the change they report has committed."""

from django.tasks import task


@task
def send_recovery_link(user_id: int) -> str:
    """The recovery link is made here, in the worker, so the token never travels through the broker."""
    from borikan.core.mail import email_send_now

    from .models import User
    from .recovery import recovery_link

    user = User.objects.get(pk=user_id)
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีผู้ขอตั้งรหัสผ่านใหม่สำหรับบัญชี borikan ของท่าน หากเป็นท่าน กรุณาเปิดลิงก์นี้ (ใช้ได้ครั้งเดียว):\n"
        f"{recovery_link(user)}\n"
        "หากไม่ใช่ท่าน ไม่ต้องทำอะไร รหัสผ่านเดิมยังใช้ได้\n\n"
        "Someone asked to set a new password for your borikan account. If it was you, open the link above "
        "(it works once). If not, do nothing: your password is unchanged.\n"
    )
    return email_send_now(
        to=user.email, subject="borikan: ตั้งรหัสผ่านใหม่ / Set a new password", body=body, reference=f"user-{user_id}"
    )


@task
def send_recovery_notice(user_id: int, kept_second_factor: bool, proofings_revoked: int) -> str:
    from borikan.core.mail import email_send_now

    from .models import User

    user = User.objects.get(pk=user_id)
    lines = [
        f"เรียน {user.full_name}",
        "",
        "รหัสผ่านบัญชี borikan ของท่านถูกเปลี่ยนแล้ว และทุกเซสชันถูกออกจากระบบ",
        "Your borikan password was changed and every session was signed out.",
    ]
    if not kept_second_factor:
        lines += [
            "ปัจจัยที่สอง (แอปยืนยันตัวตน พาสคีย์ รหัสกู้คืน) ถูกลบ กรุณาตั้งค่าใหม่",
            "Your second factors (authenticator app, passkeys, recovery codes) were removed; please set them up again.",
        ]
    if proofings_revoked:
        lines += [
            "ระดับการยืนยันตัวตน (IAL) ของท่านลดลง กรุณายืนยันตัวตนใหม่ที่จุดบริการหรือผ่านผู้ให้บริการยืนยันตัวตน",
            "Your identity assurance (IAL) was lowered; please prove your identity again at a counter or through a "
            "provider.",
        ]
    lines += ["", "หากท่านไม่ได้ทำรายการนี้ กรุณาติดต่อ 1111 ทันที / If this was not you, call 1111 at once."]
    return email_send_now(
        to=user.email,
        subject="borikan: รหัสผ่านถูกเปลี่ยน / Your password was changed",
        body="\n".join(lines),
        reference=f"user-{user_id}",
    )


@task
def send_sign_in_code(user_id: int) -> str:
    """The code is made here, in the worker, so it never travels through the broker; only its HMAC is kept."""
    from borikan.core.mail import email_send_now
    from borikan.core.sms import sms_send

    from .challenge import CODE_TTL_SECONDS, code_issue
    from .models import User

    user = User.objects.get(pk=user_id)
    code = code_issue(user.pk)
    minutes = CODE_TTL_SECONDS // 60
    if not user.email:
        return sms_send(to=user.mobile, text=f"borikan: รหัสเข้าสู่ระบบ {code} (ใช้ได้ {minutes} นาที) / sign-in code")
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีผู้พยายามเข้าสู่บัญชี borikan ของท่านด้วยรหัสผ่านผิดหลายครั้ง จึงต้องใช้รหัสนี้ร่วมกับรหัสผ่าน "
        f"(ใช้ได้ {minutes} นาที):\n\n    {code}\n\n"
        "หากท่านไม่ได้กำลังเข้าสู่ระบบ ไม่ต้องทำอะไร ผู้อื่นเข้าบัญชีไม่ได้หากไม่มีรหัสนี้\n\n"
        "Someone has tried many wrong passwords on your borikan account, so signing in needs this code with the "
        f"password (valid for {minutes} minutes). If you are not signing in, do nothing: without the code nobody "
        "else can get in.\n"
    )
    return email_send_now(
        to=user.email, subject="borikan: รหัสเข้าสู่ระบบ / Sign-in code", body=body, reference=f"user-{user_id}"
    )


@task
def alert_account_attack(user_id: int, failures: int) -> int:
    """Tell the owner, and for a staff account the administrators of each of its agencies. Returns mails sent."""
    from borikan.agencies.models import StaffMembership, StaffRole
    from borikan.core.mail import email_send_now

    from .models import User

    user = User.objects.get(pk=user_id)
    sent = 0
    if user.email:
        email_send_now(
            to=user.email,
            subject="borikan: มีผู้พยายามเข้าบัญชีของท่าน / Someone is trying to sign in to your account",
            body=(
                f"เรียน {user.full_name}\n\nมีการใส่รหัสผ่านผิด {failures} ครั้งจากหลายที่ในเวลาไม่กี่นาที บัญชีของท่านไม่ถูกล็อก "
                "แต่การเข้าสู่ระบบจากเครื่องใหม่จะต้องใช้รหัสที่ส่งมาทางอีเมลนี้ ควรเปิดใช้แอปยืนยันตัวตนหรือพาสคีย์\n\n"
                f"{failures} wrong passwords were tried on your account from several places within minutes. It is not "
                "locked, but signing in from a new device now needs a code sent to this address. Consider turning on "
                "an authenticator app or a passkey.\n"
            ),
            reference=f"user-{user_id}",
        )
        sent += 1
    agencies = StaffMembership.objects.filter(user=user).values_list("agency_id", flat=True)
    admins = (
        User.objects.filter(
            memberships__agency_id__in=list(agencies), memberships__role=StaffRole.AGENCY_ADMIN, is_active=True
        )
        .exclude(pk=user.pk)
        .exclude(email__isnull=True)
        .distinct()
    )
    for admin in admins:
        email_send_now(
            to=admin.email,
            subject="borikan: บัญชีเจ้าหน้าที่ถูกพยายามเข้าใช้ / A staff account is under attack",
            body=(
                f"บัญชีเจ้าหน้าที่ {user.full_name} ({user.email or user.mobile}) ถูกใส่รหัสผ่านผิด {failures} ครั้ง"
                "จากหลายที่ในเวลาไม่กี่นาที ระบบบังคับให้ใช้รหัสทางอีเมลเมื่อเข้าจากเครื่องใหม่แล้ว "
                "ดูบันทึกการตรวจสอบ (auth.login_failed) และติดต่อเจ้าของบัญชี\n\n"
                f"The staff account of {user.full_name} ({user.email or user.mobile}) had {failures} wrong passwords "
                "from several places within minutes. Sign-ins from new devices now need an e-mailed code. See the "
                "audit log (auth.login_failed) and contact the account's owner.\n"
            ),
            reference=f"user-{user_id}",
        )
        sent += 1
    return sent


@task
def send_verification_link(user_id: int) -> str:
    """The link is made here, in the worker, so it never travels through the broker."""
    from borikan.core.mail import email_send_now

    from .models import User
    from .verification import LINK_MAX_AGE_SECONDS, verification_link

    user = User.objects.get(pk=user_id)
    days = LINK_MAX_AGE_SECONDS // 86400
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีการลงทะเบียนบัญชี borikan ด้วยอีเมลนี้ หากเป็นท่าน กรุณาเปิดลิงก์นี้แล้วกรอกรหัสผ่านที่ตั้งไว้ "
        f"(ใช้ได้ {days} วัน):\n{verification_link(user)}\n"
        "หากไม่ใช่ท่าน ไม่ต้องทำอะไร บัญชีจะไม่ถูกใช้งานได้หากไม่ยืนยัน\n\n"
        "Someone signed up for borikan with this address. If it was you, open the link above and enter the password "
        f"you chose (it works for {days} days). If not, do nothing: the account cannot be used unless confirmed.\n"
    )
    return email_send_now(
        to=user.email,
        subject="borikan: ยืนยันอีเมล / Confirm your e-mail address",
        body=body,
        reference=f"user-{user_id}",
    )


@task
def send_sign_up_notice(user_id: int) -> str:
    """Someone signed up with an address that already has an account: tell its owner, not the one signing up."""
    from django.conf import settings
    from django.urls import reverse

    from borikan.core.mail import email_send_now

    from .models import User

    user = User.objects.get(pk=user_id)
    base = settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/")
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีผู้พยายามลงทะเบียนบัญชีใหม่ด้วยอีเมลนี้ ซึ่งมีบัญชีอยู่แล้ว หากเป็นท่าน เข้าสู่ระบบได้ที่ "
        f"{base}{reverse('identity:login')} หรือตั้งรหัสผ่านใหม่ที่ {base}{reverse('identity:recover')}\n"
        "หากไม่ใช่ท่าน ไม่ต้องทำอะไร บัญชีของท่านไม่มีการเปลี่ยนแปลง\n\n"
        "Someone tried to sign up with this address, which already has an account. If it was you, sign in or set a "
        "new password at the links above. If not, do nothing: your account is unchanged.\n"
    )
    return email_send_now(
        to=user.email,
        subject="borikan: มีผู้ลงทะเบียนด้วยอีเมลของท่าน / A sign-up with your address",
        body=body,
        reference=f"user-{user_id}",
    )


@task
def send_email_add_link(user_id: int, email: str) -> str:
    """The link for an address added to an account, to that address; made here so it never crosses the broker."""
    from borikan.core.mail import email_send_now

    from .models import User
    from .verification import LINK_MAX_AGE_SECONDS, verification_link

    user = User.objects.get(pk=user_id)
    days = LINK_MAX_AGE_SECONDS // 86400
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีการขอเพิ่มอีเมลนี้ในบัญชี borikan ที่สมัครด้วยหมายเลขโทรศัพท์มือถือ หากเป็นท่าน กรุณาเปิดลิงก์นี้แล้วกรอกรหัสผ่าน"
        f"ของบัญชี (ใช้ได้ {days} วัน):\n{verification_link(user, email)}\n"
        "อีเมลจะใช้กับบัญชีได้เมื่อยืนยันแล้วเท่านั้น หากไม่ใช่ท่าน ไม่ต้องทำอะไร\n\n"
        "Someone asked to add this address to a borikan account made with a mobile number. If it was you, open the "
        f"link above and enter the account's password (it works for {days} days). The address counts only once "
        "confirmed. If not, do nothing.\n"
    )
    return email_send_now(
        to=email, subject="borikan: ยืนยันอีเมล / Confirm your e-mail address", body=body, reference=f"user-{user_id}"
    )


@task
def send_email_add_notice(holder_id: int) -> str:
    """Someone asked to add an address that another account holds: its owner is told, clearly, that it was not
    added; the one asking is told only what every request is told (the page names no account)."""
    from django.conf import settings
    from django.urls import reverse

    from borikan.core.mail import email_send_now

    from .models import User

    holder = User.objects.get(pk=holder_id)
    base = settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/")
    body = (
        f"เรียน {holder.full_name}\n\n"
        "มีผู้ขอเพิ่มอีเมลนี้ให้กับบัญชี borikan อีกบัญชีหนึ่ง แต่อีเมลนี้เป็นของบัญชีของท่านอยู่แล้ว จึงไม่ได้เพิ่มให้ "
        "หากเป็นท่าน เข้าสู่ระบบด้วยอีเมลนี้ได้ที่ "
        f"{base}{reverse('identity:login')} หรือเพิ่มอีเมลอื่นให้บัญชีที่สมัครด้วยโทรศัพท์มือถือ\n"
        "หากไม่ใช่ท่าน ไม่ต้องทำอะไร บัญชีของท่านไม่มีการเปลี่ยนแปลง\n\n"
        "Someone asked to add this address to another borikan account. It already belongs to your account, so it was "
        "not added. If it was you, sign in with this address at the link above, or add a different address to the "
        "account made with a mobile number. If not, do nothing: your account is unchanged.\n"
    )
    return email_send_now(
        to=holder.email,
        subject="borikan: อีเมลนี้มีบัญชีอยู่แล้ว / This address already has an account",
        body=body,
        reference=f"user-{holder_id}",
    )
