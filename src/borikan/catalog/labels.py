"""Thai and English names of the directory's controlled vocabularies, for people (the codes stay in URLs/API)."""

from __future__ import annotations

from django.utils.translation import get_language

CATEGORY = {
    "identity-civil-registration": ("ทะเบียนราษฎรและบัตรประชาชน", "Identity and civil registration"),
    "travel-immigration": ("การเดินทางและตรวจคนเข้าเมือง", "Travel and immigration"),
    "transport": ("การคมนาคมและยานพาหนะ", "Transport and vehicles"),
    "business": ("ธุรกิจและการค้า", "Business and trade"),
    "tax": ("ภาษี", "Tax"),
    "construction-land": ("ที่ดินและการก่อสร้าง", "Land and construction"),
    "health-food": ("สุขภาพ อาหารและยา", "Health, food and drugs"),
    "social-welfare": ("สวัสดิการสังคม", "Social welfare"),
    "employment": ("การจ้างงานและแรงงาน", "Employment and labour"),
    "justice-security": ("ยุติธรรมและความปลอดภัย", "Justice and security"),
    "agriculture-environment": ("เกษตรและสิ่งแวดล้อม", "Agriculture and environment"),
    "education": ("การศึกษา", "Education"),
    "other": ("อื่น ๆ", "Other"),
}
TRANSACTION_TYPE = {
    "information": ("ขอข้อมูล", "Information"),
    "registration": ("จดทะเบียน", "Registration"),
    "licence-new": ("ขอใบอนุญาตใหม่", "New licence"),
    "licence-renewal": ("ต่ออายุใบอนุญาต", "Licence renewal"),
    "permit": ("ขออนุญาต", "Permit"),
    "certificate-request": ("ขอหนังสือรับรอง", "Certificate request"),
    "benefit-claim": ("ขอรับสิทธิประโยชน์", "Benefit claim"),
    "tax-filing": ("ยื่นภาษี", "Tax filing"),
    "payment": ("ชำระเงิน", "Payment"),
    "amendment": ("แก้ไขเปลี่ยนแปลงข้อมูล", "Amendment"),
    "complaint": ("ร้องเรียน", "Complaint"),
}
CHANNEL = {
    "counter": ("ที่สำนักงาน", "At the counter"),
    "online": ("ออนไลน์", "Online"),
    "mobile-app": ("แอปพลิเคชัน", "Mobile app"),
    "post": ("ไปรษณีย์", "Post"),
}
FEE = {"free": ("ไม่มีค่าธรรมเนียม", "Free"), "paid": ("มีค่าธรรมเนียม", "Paid")}


def label(vocabulary: dict[str, tuple[str, str]], code: str) -> str:
    """The name of a code in the reader's language; an unnamed code is shown readably (life events)."""
    names = vocabulary.get(code)
    if names is None:
        return code.replace("-", " ")
    return names[1] if (get_language() or "th").startswith("en") else names[0]
