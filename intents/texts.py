"""Every sentence the bot says to users, in one place, in one voice: polite, short, Thai.

The bot is khomun, a helper of the open-data portal. Its name is never used as a word in a
sentence (ข้อมูล reads as "data"); it speaks without naming itself, with "ค่ะ"/"นะคะ" throughout,
one idea per sentence, no quoting the user's message back. Placeholders use str.format names.
"""

from __future__ import annotations

BOT_NAME = "khomun"

GREETING = "สวัสดีค่ะ ยินดีช่วยหาชุดข้อมูลเปิดของภาครัฐจาก data.go.th ค่ะ พิมพ์เรื่องที่อยากได้มาได้เลย เช่น “{example}”"
HELP = (
    "พิมพ์เรื่องที่อยากได้ เป็นภาษาไทยหรืออังกฤษก็ได้ค่ะ ใส่จังหวัด เดือน หรือปีเพิ่มได้ "
    "แล้วจะหาชุดข้อมูลที่ตรงที่สุดพร้อมลิงก์ดาวน์โหลดให้ค่ะ "
    "ได้ผลแล้วพิมพ์ต่อได้ เช่น “เฉพาะเชียงใหม่” หรือ “อันแรก”\nตัวอย่าง:\n{examples}"
)
HELP_EXAMPLES = (
    "ทะเบียนวัด เชียงใหม่",
    "รถจดทะเบียนสะสม มิ.ย. 2560",
    "bike lanes in Bangkok",
    "ค่าแรงขั้นต่ำแต่ละจังหวัด",
)
THANKS = "ยินดีค่ะ อยากหาเรื่องอื่นอีก พิมพ์มาได้เลยนะคะ"
FOUND = "เจอ {count} ชุดข้อมูลเรื่อง{topic}ค่ะ"
FOUND_AT_LEAST = "เจออย่างน้อย {count} ชุดข้อมูลเรื่อง{topic}ค่ะ"
FOUND_ONE = "เจอชุดข้อมูลเรื่อง{topic}ค่ะ"
NOT_FOUND = "ขออภัยค่ะ ยังไม่เจอชุดข้อมูลเรื่อง{topic}"
NOT_FOUND_NEAR = "ลองดูหน่วยงานที่มีเรื่องใกล้เคียง หรือพิมพ์คำอื่นได้นะคะ"
NOT_FOUND_SUGGEST = "ลองพิมพ์คำอื่นหรือให้สั้นลง หรือเลือกตัวอย่างด้านล่างได้นะคะ"
EMPTY = "ยังไม่ได้พิมพ์อะไรเลยค่ะ ลองพิมพ์เรื่องที่อยากได้ เช่น “{example}”"
#: the answer model is unsure: close matches, said as such
UNSURE = "ยังไม่แน่ใจว่าตรงกับที่ต้องการไหมคะ ลองดูชุดข้อมูลที่ใกล้เคียงเหล่านี้นะคะ"
DID_YOU_MEAN = "หมายถึง “{corrected}” ใช่ไหมคะ"
ERROR = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว ลองใหม่อีกครั้งนะคะ"

# -- the conversation: lists, details, narrowing, browsing -------------------------------------
PAGE = "รายการที่ {first}–{last} จาก {total}"
FILTERED = "เหลือ {count} ชุดข้อมูล ({filters}) ค่ะ"
FILTER_NONE_LEFT = "ในรายการนี้ไม่มีชุดข้อมูลแบบนั้นค่ะ ลองเลือกแบบอื่นได้นะคะ"
FILTERS_CLEARED = "ล้างตัวกรองแล้วค่ะ กลับมาที่ {count} ชุดข้อมูลเดิม"
FILTER_ORG = "หน่วยงาน {value}"
FILTER_FMT = "ไฟล์ {value}"
FILTER_YR = "ปี {value}"
FILTER_PROV = "จังหวัด{value}"
FILTER_ALL_MATCH = "ทุกชุดในรายการนี้ตรงอยู่แล้วค่ะ"
LIST_ONE_AGENCY = "ทุกชุดในรายการนี้มาจาก{agency}ค่ะ"
NEWEST_FIRST = "ชุดข้อมูลในรายการนี้ไม่ได้แยกตามปีค่ะ เรียงจากที่อัปเดตล่าสุดให้แล้วนะคะ"
LIST_AGENCIES = "รายการนี้มาจาก {count} หน่วยงานค่ะ เลือกเพื่อดูเฉพาะหน่วยงานนั้นได้เลย"
NO_MORE = "แสดงครบทุกชุดแล้วค่ะ อยากหาเรื่องอื่น พิมพ์มาได้เลยนะคะ"
NO_LIST = "ยังไม่มีรายการให้เลือกค่ะ พิมพ์เรื่องที่อยากได้ก่อนนะคะ เช่น “{example}”"
OUT_OF_RANGE = "รายการนี้มี {count} ชุดข้อมูลค่ะ เลือกหมายเลข 1 ถึง {count} ได้เลยนะคะ"
OUT_OF_RANGE_ONE = "รายการนี้มีชุดข้อมูลเดียวค่ะ พิมพ์ “อันแรก” หรือกดรายละเอียดได้เลยนะคะ"
STALE = "ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว พิมพ์เรื่องที่อยากได้ใหม่ได้เลยนะคะ"
EXPIRED = "ปุ่มนี้หมดอายุแล้วค่ะ รายการนั้นเก่าเกินไป พิมพ์เรื่องที่อยากได้อีกครั้งได้เลยนะคะ"
DETAILS = "รายละเอียดของ “{title}” ค่ะ"
AGENCIES = "หน่วยงานที่มีชุดข้อมูลมากที่สุดค่ะ (จากทั้งหมด {total} หน่วยงาน) กดชื่อเพื่อดูชุดข้อมูลได้เลย"
AGENCY_LINE = "{number}. {name} ({count} ชุด)"
AGENCY_LIST = "ชุดข้อมูลของ{agency} {count} ชุดค่ะ"
LATEST = "ชุดข้อมูลที่อัปเดตล่าสุดค่ะ"
FEEDBACK_UP = "ขอบคุณสำหรับคำติชมค่ะ ดีใจที่ช่วยได้นะคะ"
FEEDBACK_DOWN = "ขอบคุณที่บอกนะคะ จะนำไปปรับปรุงค่ะ ลองพิมพ์อีกแบบ หรือเลือกด้านล่างได้เลยนะคะ"
FALLBACK = "ขออภัยค่ะ ยังไม่เข้าใจว่าอยากได้เรื่องอะไร ลองพิมพ์เป็นชื่อเรื่อง เช่น “{example}” หรือเลือกด้านล่างได้นะคะ"
NOT_FOUND_ELSEWHERE = "ยังไม่เจอเรื่อง{topic}ตามจังหวัดหรือปีที่ถามค่ะ แต่มีเรื่องเดียวกันของจังหวัดหรือปีอื่น เผื่อใช้แทนได้"
NOT_FOUND_LIVE = "ยังไม่มีเรื่อง{topic}แบบวันต่อวันหรือเรียลไทม์ค่ะ แต่มีชุดข้อมูลเรื่องเดียวกันที่เผยแพร่เป็นช่วง ๆ เผื่อใช้แทนได้"
NOT_FOUND_TIMETABLE = "ยังไม่มีตารางเวลาของ{topic}ค่ะ แต่มีชุดข้อมูลที่เกี่ยวข้อง เผื่อใช้แทนได้"

# -- button and quick-reply labels (whole: each renderer cuts them to its platform, LINE to 20) -----
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

# -- previews of a data file ("ดูตัวอย่างข้อมูล") -------------------------------------------------
LABEL_PREVIEW = "ดูตัวอย่างข้อมูล"
PREVIEW_LOADING = "กำลังเปิดไฟล์ “{name}” ให้ดูค่ะ"
PREVIEW_LEAD = "ตัวอย่างจากไฟล์ “{name}” ค่ะ มี {columns} คอลัมน์ {rows} นี่คือ 5 แถวแรกนะคะ"
PREVIEW_TOTAL = "ทั้งหมด {n:,} แถว"
PREVIEW_AT_LEAST = "อย่างน้อย {n:,} แถว (ไฟล์ใหญ่ จึงนับเฉพาะส่วนต้น)"
PREVIEW_MORE_COLUMNS = "และอีก {n} คอลัมน์"
PREVIEW_NO_FILE = "ขออภัยค่ะ ชุดข้อมูลนี้ไม่มีไฟล์ตารางที่เปิดดูตัวอย่างได้ ลองดาวน์โหลดหรือเปิดใน data.go.th นะคะ"
#: why a preview could not be shown, by PreviewError.kind
PREVIEW_FAILED = {
    "blocked": "ขออภัยค่ะ ไฟล์นี้อยู่ในที่อยู่ที่ระบบเปิดให้ไม่ได้ ลองกดดาวน์โหลดเองได้นะคะ",
    "timeout": "ขออภัยค่ะ เว็บต้นทางตอบช้าเกินไป ลองใหม่อีกครั้งภายหลัง หรือกดดาวน์โหลดเองได้นะคะ",
    "too_large": "ขออภัยค่ะ ไฟล์นี้ใหญ่เกินกว่าจะเปิดดูตัวอย่างในแชตได้ กดดาวน์โหลดเพื่อดูทั้งไฟล์ได้นะคะ",
    "unreadable": "ขออภัยค่ะ เปิดอ่านไฟล์นี้ไม่ได้ ไฟล์อาจเสียหรือไม่ใช่ตาราง ลองกดดาวน์โหลดเองได้นะคะ",
    "unavailable": "ขออภัยค่ะ ตอนนี้เปิดไฟล์จากเว็บต้นทางไม่ได้ ลองใหม่อีกครั้งภายหลังนะคะ",
}

# -- follows and alerts ("ติดตาม") ---------------------------------------------------------------
LABEL_FOLLOW = "ติดตามเรื่องนี้"
LABEL_FOLLOW_AGENCY = "ติดตามหน่วยงานนี้"
LABEL_UNFOLLOW = "เลิกติดตาม {n}"
LABEL_FOLLOWING = "รายการที่ติดตาม"
FOLLOWED = "ติดตามเรื่อง{topic}แล้วค่ะ มีชุดข้อมูลใหม่หรืออัปเดตเมื่อไร จะแจ้งให้ทราบนะคะ"
FOLLOWED_LINE = (
    "ติดตามเรื่อง{topic}แล้วค่ะ จะส่งข้อความแจ้งไม่เกินวันละครั้งเมื่อมีชุดข้อมูลใหม่นะคะ พิมพ์ “เลิกติดตาม” เมื่อไม่อยากรับแล้วได้เลยค่ะ"
)
FOLLOWED_WEB = "ติดตามเรื่อง{topic}แล้วค่ะ เปิดฟีดนี้ในโปรแกรมอ่านฟีดเพื่อรับชุดข้อมูลใหม่ได้เลยนะคะ: {feed}"
FOLLOW_ALREADY = "ติดตามเรื่อง{topic}อยู่แล้วค่ะ"
FOLLOW_NOT_FOUND = "ขออภัยค่ะ ยังไม่เจอชุดข้อมูลเรื่อง{topic} จึงยังติดตามไม่ได้ ลองพิมพ์คำอื่นนะคะ"
FOLLOW_HOW = "อยากติดตามเรื่องไหน พิมพ์ “ติดตาม” ตามด้วยเรื่องนั้นได้เลยค่ะ เช่น “ติดตาม {example}”"
FOLLOW_GROUP = "ขออภัยค่ะ การติดตามใช้ได้ในแชตส่วนตัวเท่านั้นนะคะ"
FOLLOW_TOO_MANY = "ติดตามได้สูงสุด {limit} เรื่องค่ะ เลิกติดตามเรื่องเก่าก่อนได้นะคะ"
FOLLOWING = "เรื่องที่ติดตามอยู่ค่ะ กดปุ่มเพื่อเลิกติดตามได้เลย"
FOLLOWING_ITEM = "{n}. {topic}"
FOLLOWING_NONE = "ตอนนี้ยังไม่ได้ติดตามเรื่องไหนค่ะ พิมพ์ “ติดตาม” ตามด้วยเรื่องที่สนใจได้เลย เช่น “ติดตาม {example}”"
UNFOLLOWED = "เลิกติดตามเรื่อง{topic}แล้วค่ะ"
UNFOLLOWED_ALL = "เลิกติดตามทั้งหมดแล้วค่ะ"
ALERT_HEAD = "มีชุดข้อมูลใหม่หรืออัปเดตในเรื่องที่ติดตามค่ะ"
ALERT_MORE = "และอีก {n} ชุด พิมพ์ “รายการที่ติดตาม” เพื่อดูได้นะคะ"
FEED_ALL_TITLE = "ชุดข้อมูลใหม่และอัปเดตล่าสุด · data.go.th"
FEED_FOLLOW_TITLE = "ชุดข้อมูลเรื่อง {topic} · data.go.th"

# -- the web try-out chat -------------------------------------------------------------------------
WEB_TITLE = "khomun · ค้นหาชุดข้อมูลเปิดภาครัฐ"
WEB_HEADING = "khomun · ผู้ช่วยหาชุดข้อมูลเปิด"
WEB_SUBTITLE = "ลองถามเป็นภาษาไทยได้เลยค่ะ ชุดข้อมูลทั้งหมดมาจาก data.go.th"
WEB_PLACEHOLDER = "พิมพ์เรื่องที่อยากได้ เช่น ทะเบียนวัด เชียงใหม่"
WEB_SEND = "ส่ง"
WEB_UPDATED = "อัปเดต"
WEB_FORMATS = "ไฟล์"
WEB_TAGS = "แท็ก"
WEB_LICENSE = "สัญญาอนุญาต"
WEB_RESOURCES = "ไฟล์ทั้งหมด"
WEB_NETWORK_ERROR = "ขออภัยค่ะ ติดต่อระบบไม่ได้ ลองใหม่อีกครั้งนะคะ"
TOO_LONG = "ข้อความยาวเกินไปค่ะ พิมพ์ไม่เกิน {limit} ตัวอักษรนะคะ"

# -- shared by the LINE and Telegram renderers, and the terminal -------------------------------
MORE_RESOURCES = "และอีก {n} ไฟล์บน data.go.th"
#: the portal's synthetic ZIP of every file ("All resource data")
ALL_RESOURCES = "ไฟล์ทั้งหมดรวมกัน"
#: licences as the catalog names them -> Thai
LICENSES = {
    "creative commons attributions": "ครีเอทีฟคอมมอนส์ แบบแสดงที่มา (CC BY)",
    "creative commons attribution": "ครีเอทีฟคอมมอนส์ แบบแสดงที่มา (CC BY)",
    "cc-by": "ครีเอทีฟคอมมอนส์ แบบแสดงที่มา (CC BY)",
    "ogl": "สัญญาอนุญาตข้อมูลเปิดของรัฐบาล (OGL)",
    "open government license": "สัญญาอนุญาตข้อมูลเปิดของรัฐบาล (OGL)",
    "open data common": "สัญญาอนุญาตข้อมูลเปิด (Open Data Common)",
    "other-open": "สัญญาอนุญาตแบบเปิดอื่น ๆ",
    "notspecified": "ไม่ระบุ",
}
SOURCE = "ที่มา"
TERMINAL_DOWNLOAD = "ดาวน์โหลด:"
TERMINAL_INTRO = (
    "khomun: พิมพ์เรื่องที่อยากได้ แล้วกด Enter ได้เลยค่ะ\n"
    "ปุ่มจะมีเลขกำกับ เช่น [#1] พิมพ์ #1 เพื่อกดปุ่มนั้น (พิมพ์เลขเฉย ๆ เช่น 2 คือดูรายการที่ 2)\n"
    "กด Ctrl-D เพื่อออกค่ะ"
)
TERMINAL_DETAILS = "รายละเอียดอันที่ {n}"
TERMINAL_NO_BUTTON = "ไม่มีปุ่ม #{n} ค่ะ ปุ่มที่กดได้ตอนนี้คือ #1 ถึง #{last}"
TERMINAL_NO_BUTTONS = "ตอนนี้ยังไม่มีปุ่มให้กดค่ะ ลองพิมพ์เรื่องที่อยากได้ก่อนนะคะ"

# -- Telegram's command menu (setMyCommands): name -> (Thai, English) --------------------------
COMMANDS = {
    "search": ("ค้นหาชุดข้อมูล เช่น /search ทะเบียนวัด เชียงใหม่", "Search datasets, e.g. /search temples Chiang Mai"),
    "latest": ("ชุดข้อมูลที่อัปเดตล่าสุด", "Recently updated datasets"),
    "agencies": ("หน่วยงานที่เผยแพร่ข้อมูล", "Publishing agencies"),
    "follow": ("ติดตามเรื่อง เช่น /follow ค่าฝุ่น PM2.5", "Follow a topic, e.g. /follow PM2.5 air quality"),
    "following": ("เรื่องที่ติดตามอยู่", "Topics you follow"),
    "unfollow": ("เลิกติดตาม", "Stop following"),
    "help": ("วิธีใช้", "How to use this bot"),
    "start": ("เริ่มต้น", "Start"),
}
