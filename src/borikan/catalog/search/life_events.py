"""Life events in words, and search hits grouped by life event for the search page."""

from __future__ import annotations

from dataclasses import dataclass

from ..labels import label

LIFE_EVENT = {
    "adult-learning": ("เรียนต่อเมื่อเป็นผู้ใหญ่", "Learning as an adult"),
    "becoming-an-adult": ("เข้าสู่วัยผู้ใหญ่", "Becoming an adult"),
    "borrowing-money": ("กู้ยืมเงิน", "Borrowing money"),
    "building-a-house": ("สร้างบ้าน", "Building a house"),
    "buying-a-used-vehicle": ("ซื้อรถมือสอง", "Buying a used vehicle"),
    "buying-property": ("ซื้อบ้านและที่ดิน", "Buying property"),
    "changing-name": ("เปลี่ยนชื่อ", "Changing your name"),
    "child-growing-up": ("ลูกโตขึ้น", "A child growing up"),
    "closing-a-business": ("ปิดกิจการ", "Closing a business"),
    "consumer-problem": ("ปัญหาผู้บริโภค", "A consumer problem"),
    "death-of-a-relative": ("คนในครอบครัวเสียชีวิต", "Death of a relative"),
    "disability": ("ความพิการ", "Disability"),
    "divorce": ("หย่าร้าง", "Divorce"),
    "farming": ("ทำการเกษตร", "Farming"),
    "fishing": ("ทำประมง", "Fishing"),
    "foreigner-in-thailand": ("ชาวต่างชาติในประเทศไทย", "Foreigners in Thailand"),
    "getting-married": ("แต่งงาน", "Getting married"),
    "graduating": ("เรียนจบ", "Graduating"),
    "having-a-baby": ("มีลูก", "Having a baby"),
    "healthcare": ("การรักษาพยาบาล", "Healthcare"),
    "hiring-staff": ("จ้างพนักงาน", "Hiring staff"),
    "importing-exporting": ("นำเข้าและส่งออก", "Importing and exporting"),
    "inheritance": ("มรดก", "Inheritance"),
    "learning-to-drive": ("หัดขับรถ", "Learning to drive"),
    "looking-for-a-job": ("หางาน", "Looking for a job"),
    "losing-a-job": ("ตกงาน", "Losing a job"),
    "lost-documents": ("เอกสารหายหรือชำรุด", "Lost or damaged documents"),
    "low-income": ("รายได้น้อย", "Low income"),
    "manufacturing": ("ผลิตสินค้า", "Manufacturing"),
    "military-service": ("การรับราชการทหาร", "Military service"),
    "moving-house": ("ย้ายบ้าน", "Moving house"),
    "natural-disaster": ("ประสบภัยพิบัติ", "A natural disaster"),
    "neighbour-dispute": ("ปัญหากับเพื่อนบ้าน", "A dispute with a neighbour"),
    "opening-a-restaurant": ("เปิดร้านอาหาร", "Opening a restaurant"),
    "owning-a-drone": ("มีโดรน", "Owning a drone"),
    "owning-a-firearm": ("มีอาวุธปืน", "Owning a firearm"),
    "owning-a-vehicle": ("มีรถ", "Owning a vehicle"),
    "owning-property": ("มีบ้านและที่ดิน", "Owning property"),
    "paying-taxes": ("เสียภาษี", "Paying taxes"),
    "problem-with-government": ("ปัญหากับหน่วยงานรัฐ", "A problem with a government office"),
    "renewing-documents": ("ต่ออายุเอกสาร", "Renewing documents"),
    "renting-out-property": ("ให้เช่าที่พัก", "Renting out property"),
    "retirement": ("เกษียณและสูงวัย", "Retirement and old age"),
    "running-a-business": ("ทำธุรกิจ", "Running a business"),
    "self-employed": ("ทำงานอิสระ", "Self-employed"),
    "selling-online": ("ขายของออนไลน์", "Selling online"),
    "selling-property": ("ขายบ้านและที่ดิน", "Selling property"),
    "starting-a-business": ("เริ่มธุรกิจ", "Starting a business"),
    "starting-a-job": ("เริ่มงานใหม่", "Starting a job"),
    "studying": ("เรียนหนังสือ", "Studying"),
    "studying-abroad": ("เรียนต่อต่างประเทศ", "Studying abroad"),
    "tourism-business": ("ธุรกิจท่องเที่ยว", "A tourism business"),
    "travelling-abroad": ("เดินทางไปต่างประเทศ", "Travelling abroad"),
    "using-online-services": ("ใช้บริการออนไลน์", "Using online services"),
    "victim-of-crime": ("ตกเป็นผู้เสียหาย", "Victim of a crime"),
    "voting": ("เลือกตั้ง", "Voting"),
    "working-abroad": ("ไปทำงานต่างประเทศ", "Working abroad"),
    "workplace-problem": ("ปัญหาที่ทำงาน", "A problem at work"),
}
OTHER = ("บริการอื่น", "Other services")
GROUP_MIN_HITS = 4  # a short list reads best as it is


@dataclass(slots=True)
class HitGroup:
    code: str
    name: str
    hits: list


def life_event_name(code: str) -> str:
    return label(LIFE_EVENT, code) if code in LIFE_EVENT else label({"": OTHER}, "")


def group_by_life_event(hits: list) -> list[HitGroup]:
    """Hits under the life event of each one's first listed event, groups in the order of their best hit (so the
    best result stays first). One group when the hits do not span several life events or are few."""
    groups: dict[str, HitGroup] = {}
    for hit in hits:
        events = [e for e in (hit.service.life_events or []) if e in LIFE_EVENT]
        code = events[0] if events else ""
        if code not in groups:
            groups[code] = HitGroup(code, life_event_name(code), [])
        groups[code].hits.append(hit)
    if len(hits) < GROUP_MIN_HITS or len(groups) < 2:
        return [HitGroup("", "", list(hits))]
    return list(groups.values())
