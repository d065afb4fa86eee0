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
