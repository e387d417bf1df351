"""Intent detection from text and button payloads (pure)."""

from __future__ import annotations

import pytest

from intents.understand import MAX_PAYLOAD_BYTES, Intent, detect, parse_postback


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("อันที่ 2", "2"),
        ("ตัวที่ 3 ครับ", "3"),
        ("ขอรายละเอียดอันแรก", "1"),
        ("ขอรายละเอียดอันที่ ๒ หน่อยค่ะ", "2"),
        ("รายละเอียด 4", "4"),
        ("#5", "5"),
        ("อันที่สองขอรายละเอียดหน่อย", "2"),  # the item first, then what is wanted of it
        ("ตัวที่ 3 ขอดูค่ะ", "3"),
    ],
)
def test_details_by_position(text: str, number: str) -> None:
    assert detect(text, has_list=True) == Intent("details", number)


def test_a_bare_number_is_details_only_when_a_list_is_shown() -> None:
    assert detect("2", has_list=True) == Intent("details", "2")
    assert detect("2", has_list=False).name == "search"
    assert detect("1584", has_list=True).name == "search"  # a hotline number, not item 1584


@pytest.mark.parametrize("text", ["เพิ่มเติม", "ดูเพิ่ม", "more", "/more", "ขอเพิ่มเติมค่ะ", "ถัดไป"])
def test_more(text: str) -> None:
    assert detect(text).name == "more"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("หน่วยงาน", "agencies"),
        ("/agencies", "agencies"),
        ("ล่าสุด", "latest"),
        ("/latest", "latest"),
        ("ชุดข้อมูลล่าสุดค่ะ", "latest"),
        ("ผลสลากกินแบ่งรัฐบาลงวดล่าสุด", "search"),  # "latest" inside a query is a search
        ("หน่วยงานที่ดูแลถนน", "search"),
        ("สวัสดีครับ", "greeting"),
        ("/start", "greeting"),
        ("/help", "help"),
        ("ขอบคุณมากค่ะ", "thanks"),
        ("หวัดดีค่ะ มีใครอยู่ไหมคะ", "greeting"),
        ("hi everyone", "greeting"),
        ("หวัดดีจ้าาา", "greeting"),
        ("อรุณสวัสดิ์ค่ะ", "greeting"),
        ("สวัสดีตอนเย็นค่ะ", "greeting"),
        ("ขอบคุณค่ะ ได้ข้อมูลครบตามที่ต้องการแล้ว", "thanks"),
        ("ดีเซลราคาเท่าไหร่", "search"),
        ("สวัสดีครับ ทะเบียนวัด", "search"),  # a polite start to a search
        ("สุดยอดเลยค่ะ ขอบคุณที่ช่วยหานะคะ", "thanks"),
        ("ขอบใจจ้า เจอไฟล์แล้ว", "thanks"),
        ("thanks so much for the data!", "thanks"),
        ("โอเคค่ะ", "thanks"),
        ("ขอบคุณค่ะ ขอข้อมูลโรงพยาบาลด้วย", "search"),
        ("โอเค ขอข้อมูลวัด", "search"),
        ("น้องบอทหาข้อมูลอะไรได้บ้างคะ", "help"),
        ("ค้นหายังไงครับ", "help"),
        ("what can you do?", "help"),
        ("   ", "empty"),
    ],
)
def test_words(text: str, intent: str) -> None:
    assert detect(text).name == intent


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("d:3@k7list", Intent("details", "3", button=True, list_id="k7list")),
        ("p:next@k7list", Intent("more", button=True, list_id="k7list")),
        ("f:org:1@k7list", Intent("narrow", "org:1", button=True, list_id="k7list")),
        ("f:clear@k7list", Intent("narrow", "clear", button=True, list_id="k7list")),
        ("d:3", Intent("stale")),  # a list action names its list
        ("fb:up@k7list", Intent("feedback", "useful", button=True, list_id="k7list")),
        ("a:0", Intent("agency", "0", button=True)),
        ("ag:10", Intent("agencies", "10", button=True)),
        ("fb:up", Intent("feedback", "useful", button=True)),
        ("fb:down", Intent("feedback", "not_useful", button=True)),
        ("ex:1", Intent("example", "1", button=True)),
        ("x:no", Intent("fallback", button=True)),
        ("f:color:1", Intent("stale")),
        ("d:x", Intent("stale")),
        ("ทะเบียน", Intent("stale")),  # payloads are ASCII keys, never Thai
        ("d:" + "1" * MAX_PAYLOAD_BYTES, Intent("stale")),
    ],
)
def test_postbacks(payload: str, expected: Intent) -> None:
    assert parse_postback(payload) == expected


def test_a_postback_wins_over_text() -> None:
    assert detect("สวัสดี", "p:next@k7list").name == "more"


#: chat as people write it, none of it copied into the lexicon: particles, emoji and laughter beside
#: greetings, thanks and requests for help; and searches that start the same way
CHAT = [
    ("เริ่มตรงไหนดีคะ", "help"),
    ("อธิบายการใช้งานหน่อย", "help"),
    ("ได้แล้วค่ะ ขอบพระคุณมากค่ะ", "thanks"),
    ("ฮัลโหล", "greeting"),
    ("ฮัลโหล 555", "greeting"),
    ("สวัสดีค่ะ 😊😊", "greeting"),
    ("หวัดดีครับ ฮ่าๆ", "greeting"),
    ("ขอบคุณนะคะ 🙏", "thanks"),
    ("55555 ขอบใจมาก", "thanks"),
    ("งงจัง ต้องทำยังไงคะ", "help"),
    ("ขอวิธีใช้งานหน่อยค่ะ", "help"),
    ("น้องทำอะไรได้บ้างคะ", "help"),
    ("สอนใช้หน่อยครับ", "help"),
    ("how do I search?", "help"),
    ("thank you!!", "thanks"),
    ("โอเคค่ะ 👍", "thanks"),
    ("สวัสดีปีใหม่ค่ะ", "greeting"),
    ("หวัดดีครับ ขอข้อมูลโรงพยาบาล", "search"),
    ("ขอบคุณค่ะ แล้วมีข้อมูลฝุ่นไหม", "search"),
    ("วิธีขอใบขับขี่", "search"),
    ("ข้อมูลโรงพยาบาลมีอะไรบ้าง", "search"),
    ("การใช้ที่ดิน", "search"),
    ("ใช้ไฟฟ้ายังไง", "search"),
    ("ดีเซลราคาเท่าไหร่ 555", "search"),
    # emoji alone, by their Unicode names
    ("👋", "greeting"),
    ("🙏🙏", "greeting"),
    ("👍👍", "thanks"),
    ("❤️", "thanks"),
    ("ขอบคุณค่ะ 🙏", "thanks"),
    # phrases the tokeniser cuts, letters doubled or stretched, laughter first
    ("ได้แล้วจ้า", "thanks"),
    ("เจอแล้วค่ะ", "thanks"),
    ("heyy", "greeting"),
    ("5555 สวัสดีครับ", "greeting"),
    ("hello krub", "greeting"),
    # calling the bot, asking whether anyone is there, wishes
    ("น้องบอทจ๋า", "greeting"),
    ("แอดมินอยู่ไหมคะ", "greeting"),
    ("มีใครว่างไหม", "greeting"),
    ("สุขสันต์วันคริสต์มาสค่ะ", "greeting"),
    ("happy new year!", "greeting"),
    # questions about the service itself
    ("ใช้ฟรีหรือเปล่าคะ", "help"),
    ("โหลดไฟล์ยังไงครับ", "help"),
    ("ใช้ในไลน์กลุ่มได้ไหม", "help"),
    # ... and requests that start or end the same way
    ("ไฟล์ csv งบประมาณ กทม", "search"),
    ("ดาวน์โหลดข้อมูลโรงเรียนได้ที่ไหน", "search"),
    ("มีข้อมูลฝุ่นไหม 👍", "search"),
    ("น้องบอท ขอข้อมูลวัด", "search"),
    ("happy hour ร้านอาหาร", "search"),
    # romanised Thai, English in Thai letters, the tokeniser's cuts joined back, "??" alone
    ("sawatdee kha", "greeting"),
    ("kob khun na", "thanks"),
    ("เฮลโล่ค่ะ", "greeting"),
    ("หวัดดีวันศุกร์", "greeting"),
    ("บอทนี้ทำอะไรได้มั่งคะ", "help"),
    ("??", "help"),
    ("สวัสดีวันศุกร์ ขอข้อมูลโรงพยาบาล", "search"),
    # a greeting or thanks one letter off, a compound of the lists' words, "A หรือ B"
    ("สวัดดีจ้า", "greeting"),
    ("ขอบคุนมากค่ะ", "thanks"),
    ("ขอเมนูหลักค่ะ", "help"),
    ("ตอบเป็นภาษาอังกฤษหรือไทยคะ", "help"),
    ("ขอบเขตอำนาจศาล", "search"),
    ("สวัสดิการผู้สูงอายุ", "search"),
    # what can be sent or asked in, categories, narrowing, "again", who sent them, Isan บ่
    ("พิมพ์ภาษาเหนือได้ก่อ", "help"),
    ("ส่งรูปได้มั้ย", "help"),
    ("มีหมวดอะไรบ้างคะ", "help"),
    ("ค้นแบบเฉพาะจังหวัดได้ไหม", "help"),
    ("งงค่ะ อธิบายอีกครั้งได้ไหม", "help"),
    ("เพื่อนแนะนำ สอนใช้หน่อยค่ะ", "help"),
    ("ถามได้บ่", "help"),
    ("ช่วยหน่อยค่ะ ใช้ไม่เป็น", "help"),
    ("ขอบคุณที่ช่วยนะคะ", "thanks"),
    ("ข้อมูลหมวดหมู่การเกษตรมีอะไรบ้าง", "search"),
    # time of day with ยาม, nice to meet you, cheers, what the answer is for, a person to talk to
    ("สวัสดียามเย็นครับ", "greeting"),
    ("ยินดีที่ได้รู้จักค่ะ", "greeting"),
    ("ได้แล้ว เย้", "thanks"),
    ("ขอบคุณค่ะ เอาไปทำการบ้านได้เลย", "thanks"),
    ("ขอคุยกับเจ้าหน้าที่ได้ไหม", "help"),
    ("ขอคุยกับเจ้าหน้าที่กรมขนส่ง", "search"),
    ("มีคนอยู่มั้ย", "greeting"),
    ("ลูกอยากได้ข้อมูลโรงเรียน", "search"),
]


@pytest.mark.parametrize(("text", "intent"), CHAT)
def test_chat_by_the_kinds_of_its_words(text: str, intent: str) -> None:
    assert detect(text).name == intent


def test_a_wai_is_thanks_after_an_answer_and_a_greeting_before_one() -> None:
    assert detect("🙏🙏").name == "greeting"
    assert detect("🙏🙏", has_list=True).name == "thanks"
