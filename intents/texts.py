"""Every sentence the bot says to users, in one place, in one voice: polite, short, Thai.

The bot speaks as ข้อมูล (khomun), a helper of the open-data portal; polite particles are "ค่ะ"
throughout. Placeholders use str.format names.
"""

from __future__ import annotations

BOT_NAME = "ข้อมูล (khomun)"

GREETING = (
    "สวัสดีค่ะ ข้อมูลช่วยค้นหาชุดข้อมูลเปิดของภาครัฐจาก data.go.th ให้ค่ะ "
    "พิมพ์สิ่งที่อยากได้มาได้เลย เช่น “{example}”"
)
HELP = (
    "พิมพ์เรื่องที่อยากได้เป็นภาษาไทยหรืออังกฤษก็ได้ค่ะ ระบุจังหวัด เดือน หรือปีได้ด้วย "
    "ข้อมูลจะหาชุดข้อมูลที่ตรงที่สุดพร้อมลิงก์ดาวน์โหลดให้ค่ะ\nตัวอย่าง:\n{examples}"
)
HELP_EXAMPLES = (
    "ทะเบียนวัด เชียงใหม่",
    "รถจดทะเบียนสะสม มิ.ย. 2560",
    "bike lanes in Bangkok",
    "ค่าแรงขั้นต่ำแต่ละจังหวัด",
)
THANKS = "ยินดีค่ะ มีอะไรให้ช่วยค้นอีก พิมพ์มาได้เลยนะคะ"
FOUND = "พบ {count} ชุดข้อมูลที่ตรงกับ “{query}” ค่ะ"
NOT_FOUND = (
    "ขออภัยค่ะ ไม่พบชุดข้อมูลที่ตรงกับ “{query}” ในแคตตาล็อก "
    "ลองใช้คำอื่น ระบุหน่วยงาน หรือพิมพ์ให้สั้นลงได้ค่ะ"
)
EMPTY = "ยังไม่ได้พิมพ์คำค้นเลยค่ะ พิมพ์เรื่องที่อยากได้ เช่น “{example}”"
DID_YOU_MEAN = "หมายถึง “{corrected}” ใช่ไหมคะ"
ERROR = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้งนะคะ"
