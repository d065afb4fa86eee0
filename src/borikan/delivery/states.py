"""The declared state table of deliveries (core/statemachine.py): the only way their status changes."""

from borikan.core.statemachine import StateTable, declare

from .models import DeliveryStatus

D = DeliveryStatus

DELIVERY = declare(
    StateTable(
        name="delivery",
        statuses=DeliveryStatus,
        moves={
            (D.PENDING, "put_in_wallet"): D.SENT,
            (D.PENDING, "claim"): D.SENDING,
            (D.SENDING, "claim"): D.SENDING,  # taken over after the lease of a crashed worker ran out
            (D.SENDING, "sent"): D.SENT,
            (D.SENDING, "retry_later"): D.PENDING,
            (D.SENDING, "dead_letter"): D.DEAD,
            (D.DEAD, "retry_now"): D.PENDING,
            (D.PENDING, "retry_now"): D.PENDING,
            (D.DEAD, "give_up"): D.GIVEN_UP,
            (D.PENDING, "give_up"): D.GIVEN_UP,
            (D.PENDING, "hand_over"): D.HANDED_OVER,  # post
            (D.HANDED_OVER, "post_delivered"): D.DELIVERED,
        },
        labels_th={
            D.PENDING: "รอส่ง",
            D.SENDING: "กำลังส่ง",
            D.SENT: "ส่งแล้ว",
            D.HANDED_OVER: "ส่งมอบให้ไปรษณีย์แล้ว",
            D.DELIVERED: "ไปรษณีย์นำส่งแล้ว",
            D.DEAD: "ส่งไม่สำเร็จ รอเจ้าหน้าที่",
            D.GIVEN_UP: "เจ้าหน้าที่ยุติการส่ง",
        },
    )
)
