"""Every sentence the bot says to users, in one place, in one voice: polite, short, Thai.

The bot speaks as ข้อมูล (khomun), a helper of the open-data portal; polite particles are "ค่ะ"
throughout. Placeholders use str.format names.
"""

from __future__ import annotations

BOT_NAME = "ข้อมูล (khomun)"

GREETING = "สวัสดีค่ะ ข้อมูลช่วยค้นหาชุดข้อมูลเปิดของภาครัฐจาก data.go.th ให้ค่ะ พิมพ์สิ่งที่อยากได้มาได้เลย เช่น “{example}”"
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
#: the answer model is unsure: close matches, said as such
UNSURE = "ยังไม่แน่ใจว่าตรงกับที่ต้องการไหมนะคะ ลองดูชุดข้อมูลที่ใกล้เคียงเหล่านี้ค่ะ"
NOT_FOUND = "ขออภัยค่ะ ไม่พบชุดข้อมูลที่ตรงกับ “{query}” ในแคตตาล็อก ลองใช้คำอื่น ระบุหน่วยงาน หรือพิมพ์ให้สั้นลงได้ค่ะ"
EMPTY = "ยังไม่ได้พิมพ์คำค้นเลยค่ะ พิมพ์เรื่องที่อยากได้ เช่น “{example}”"
DID_YOU_MEAN = "หมายถึง “{corrected}” ใช่ไหมคะ"
ERROR = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้งนะคะ"

# -- the conversation: lists, details, narrowing, browsing -------------------------------------
PAGE = "รายการที่ {first}–{last} จาก {total} ค่ะ"
FILTERED = "กรองเหลือ {count} ชุดข้อมูล ({filters}) ค่ะ"
FILTER_NONE_LEFT = "ไม่มีชุดข้อมูลที่ตรงกับตัวกรองนี้ค่ะ ลองเลือกตัวกรองอื่นได้นะคะ"
FILTERS_CLEARED = "ล้างตัวกรองแล้วค่ะ กลับมาที่ {count} ชุดข้อมูลเดิม"
FILTER_ORG = "หน่วยงาน {value}"
FILTER_FMT = "ไฟล์ {value}"
FILTER_YR = "ปี {value}"
FILTER_PROV = "จังหวัด{value}"
FILTER_ALL_MATCH = "ทุกรายการในรายการนี้ตรงอยู่แล้วค่ะ"
LIST_ONE_AGENCY = "ทุกชุดในรายการนี้มาจาก{agency}ค่ะ"
NEWEST_FIRST = "ชุดข้อมูลในรายการนี้ไม่ได้แยกตามปีค่ะ เรียงจากที่อัปเดตล่าสุดให้แล้วนะคะ"
LIST_AGENCIES = "รายการนี้มาจาก {count} หน่วยงานค่ะ เลือกเพื่อดูเฉพาะหน่วยงานนั้นได้เลย"
NO_MORE = "แสดงครบทุกรายการแล้วค่ะ ลองพิมพ์คำค้นใหม่ได้เลยนะคะ"
NO_LIST = "ยังไม่มีรายการให้เลือกค่ะ พิมพ์เรื่องที่อยากได้ก่อนนะคะ เช่น “{example}”"
OUT_OF_RANGE = "รายการล่าสุดมี {count} ชุดข้อมูลค่ะ เลือกหมายเลข 1–{count} ได้เลยนะคะ"
STALE = "ปุ่มนี้หมดอายุแล้วค่ะ พิมพ์คำค้นใหม่ได้เลยนะคะ"
EXPIRED = "ปุ่มนี้หมดอายุแล้วค่ะ รายการที่ปุ่มนี้มาจากเก่าเกินไป ลองพิมพ์คำค้นอีกครั้งได้เลยนะคะ"
DETAILS = "รายละเอียดของ “{title}” ค่ะ"
AGENCIES = "หน่วยงานที่มีชุดข้อมูลมากที่สุด (ทั้งหมด {total} หน่วยงาน) เลือกเพื่อดูชุดข้อมูลได้เลยค่ะ"
AGENCY_LINE = "{number}. {name} ({count} ชุด)"
AGENCY_LIST = "ชุดข้อมูลของ {agency} ({count} ชุด) ค่ะ"
LATEST = "ชุดข้อมูลที่อัปเดตล่าสุดค่ะ"
FEEDBACK_UP = "ขอบคุณสำหรับคำติชมค่ะ ดีใจที่ช่วยได้นะคะ"
FEEDBACK_DOWN = "ขอบคุณที่บอกนะคะ ข้อมูลจะนำไปปรับปรุงค่ะ ลองพิมพ์คำค้นแบบอื่นได้เลยนะคะ"
FALLBACK = "ขออภัยค่ะ ยังหาไม่เจอ ในแคตตาล็อกมีชุดข้อมูลจากหน่วยงานเหล่านี้ค่ะ เลือกดูได้ หรือลองพิมพ์ตัวอย่างเช่น “{example}”"
NOT_FOUND_ELSEWHERE = "ยังไม่พบ “{query}” ตรงตามจังหวัดหรือปีที่ระบุค่ะ แต่มีชุดข้อมูลเรื่องเดียวกันของจังหวัดหรือปีอื่น เผื่อใช้แทนได้ค่ะ"
NOT_FOUND_SUGGEST = "ลองเลือกหน่วยงานด้านล่าง หรือพิมพ์ตัวอย่างเช่น “{example}” ได้ค่ะ"

# -- button and quick-reply labels (at most 20 characters: LINE's quick reply limit) ------------
LABEL_DOWNLOAD = "ดาวน์โหลด"
LABEL_DETAILS = "รายละเอียด"
LABEL_PAGE = "เปิดใน data.go.th"
LABEL_MORE = "ดูเพิ่มเติม"
LABEL_USEFUL = "มีประโยชน์"
LABEL_NOT_USEFUL = "ไม่ตรงที่ต้องการ"
LABEL_NOT_MEANT = "ไม่ใช่"
LABEL_CLEAR = "ล้างตัวกรอง"
LABEL_MORE_AGENCIES = "หน่วยงานอื่น ๆ"
LABEL_AGENCIES = "ดูหน่วยงาน"
LABEL_LATEST = "ชุดข้อมูลล่าสุด"
LABEL_FMT = "ไฟล์ {value}"
LABEL_YR = "ปี {value}"

# -- the web try-out chat -------------------------------------------------------------------------
WEB_TITLE = "ข้อมูล (khomun) · ค้นหาชุดข้อมูลเปิดภาครัฐ"
WEB_HEADING = "ข้อมูล · ผู้ช่วยค้นหาชุดข้อมูลเปิด"
WEB_SUBTITLE = "ลองถามเป็นภาษาไทยได้เลยค่ะ ชุดข้อมูลทั้งหมดมาจาก data.go.th"
WEB_PLACEHOLDER = "พิมพ์เรื่องที่อยากได้ เช่น ทะเบียนวัด เชียงใหม่"
WEB_SEND = "ส่ง"
WEB_UPDATED = "อัปเดต"
WEB_FORMATS = "ไฟล์"
WEB_TAGS = "แท็ก"
WEB_LICENSE = "สัญญาอนุญาต"
WEB_RESOURCES = "ไฟล์ทั้งหมด"
WEB_NETWORK_ERROR = "ขออภัยค่ะ ติดต่อระบบไม่ได้ กรุณาลองใหม่อีกครั้งนะคะ"
TOO_LONG = "ข้อความยาวเกินไปค่ะ กรุณาพิมพ์ไม่เกิน {limit} ตัวอักษรนะคะ"

# -- shared by the LINE and Telegram renderers, and the terminal -------------------------------
MORE_RESOURCES = "และอีก {n} ไฟล์บน data.go.th"
SOURCE = "ที่มา"
TERMINAL_DOWNLOAD = "ดาวน์โหลด:"

# -- Telegram's command menu (setMyCommands): name -> (Thai, English) --------------------------
COMMANDS = {
    "search": ("ค้นหาชุดข้อมูล เช่น /search ทะเบียนวัด เชียงใหม่", "Search datasets, e.g. /search temples Chiang Mai"),
    "latest": ("ชุดข้อมูลที่อัปเดตล่าสุด", "Recently updated datasets"),
    "agencies": ("หน่วยงานที่เผยแพร่ข้อมูล", "Publishing agencies"),
    "help": ("วิธีใช้", "How to use this bot"),
    "start": ("เริ่มต้น", "Start"),
}
