from __future__ import annotations

import pytest

from index.entities import find_entities, to_be_year
from index.lexicon import lexicon
from index.query import ParsedQuery
from index.search import SearchEngine
from tests.golden import check_golden


def describe(q: ParsedQuery) -> str:
    concepts = ", ".join(f"{c.text}({c.kind})" for c in q.concepts)
    return " ; ".join(
        [
            concepts,
            ",".join(sorted(q.provinces)),
            ",".join(map(str, sorted(q.years))),
            ",".join(map(str, sorted(q.months))),
            q.corrected,
        ]
    )


def test_query_understanding_golden(engine: SearchEngine, update_golden: bool) -> None:
    check_golden("query.tsv", lambda s: describe(engine.parse(s)), update_golden)


@pytest.mark.parametrize(
    ("number", "two_digit", "expected"),
    [(2562, False, 2562), (2019, False, 2562), (62, True, 2562), (62, False, None), (1584, False, None)],
)
def test_one_notion_of_year(number: int, two_digit: bool, expected: int | None) -> None:
    assert to_be_year(number, two_digit_ok=two_digit) == expected


@pytest.mark.parametrize(
    ("text", "years", "months"),
    [
        ("รถจดทะเบียน มิ.ย. 2560", {2560}, {6}),
        ("ข้อมูล ปี 61", {2561}, set()),
        ("ณ 31 ธันวาคม 2559", {2559}, {12}),
        ("ต.ค. 59", {2559}, {10}),
        ("statistics jan 2019", {2562}, {1}),
        ("พ.ศ. 2563", {2563}, set()),
        ("สายด่วน 1111", set(), set()),  # a hotline is not a year
        ("may i have data", set(), set()),  # "may" is a month only next to a year
        ("โควิดรายวัน ปี64-65", {2564, 2565}, set()),  # short years after a marker
        ("ผู้โดยสาร 2564-65", {2564, 2565}, set()),  # the century said once
        ("บ้านเลขที่ 12-34", set(), set()),  # no marker: no years
    ],
)
def test_years_and_months(text: str, years: set[int], months: set[int], engine: SearchEngine) -> None:
    found = find_entities(engine.tokenizer.tokenize(text), lexicon())
    assert found.years == years
    assert found.months == months


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("วัดในกรุงเทพ", "กรุงเทพมหานคร"),
        ("ข้อมูล กทม.", "กรุงเทพมหานคร"),
        ("bangkok", "กรุงเทพมหานคร"),
        ("โรงเรียน นครราชสีมา", "นครราชสีมา"),
        ("จังหวัดเลย", "เลย"),
        # nicknames (สมญานาม), and the capital by what it is
        ("ไหว้พระที่เมืองย่าโมจ้า", "นครราชสีมา"),
        ("วัดในเมืองสองแคว", "พิษณุโลก"),
        ("ปั๊มน้ำมันในเมืองหลวง", "กรุงเทพมหานคร"),
    ],
)
def test_provinces(text: str, province: str, engine: SearchEngine) -> None:
    assert province in find_entities(engine.tokenizer.tokenize(text), lexicon()).provinces


@pytest.mark.parametrize(
    ("text", "province"), [("วัด จ.น่าน", "น่าน"), ("วัดในน่าน", "น่าน"), ("โรงพยาบาล จ.ตาก", "ตาก")]
)
def test_an_everyday_word_province_after_its_marker(engine: SearchEngine, text: str, province: str) -> None:
    """จ. is จังหวัด, and ใน says a place follows; the จ is no letter of a misspelt word (วัด|จ is
    not วัสดุ)."""
    q = engine.parse(text)
    assert q.provinces == {province} and q.corrected == "" and len(q.concepts) == 1


def test_ambiguous_province_names_need_context(engine: SearchEngine) -> None:
    assert not find_entities(engine.tokenizer.tokenize("ไม่มีเลย"), lexicon()).provinces


def test_a_word_a_table_knows_whole_is_not_cut_into_a_province(engine: SearchEngine) -> None:
    """น่านฟ้า (airspace) is a synonym key: after ใน it is not the province น่าน and the sky."""
    q = engine.parse("จำนวนเที่ยวบินในน่านฟ้า 2561")
    assert not q.provinces and "น่านฟ้า" in {c.text for c in q.concepts}


def test_fillers_are_not_concepts(engine: SearchEngine) -> None:
    q = engine.parse("รบกวนขอข้อมูลหน่อยค่ะ")
    assert not q.concepts
    # the bot addressed as a younger sibling, and "how many" with its counting word
    assert [c.text for c in engine.parse("น้องบอทคะ วัดในภูเก็ตมีกี่วัด").concepts] == ["วัด"]
    # where the asker is: "near home" is not a house (the household electricity datasets)
    assert [c.text for c in engine.parse("ที่ส่งพัสดุใกล้บ้าน").concepts] == ["ที่ ส่ง พัสดุ"]
    assert "บ้าน" not in {c.text for c in engine.parse("แดดแถวบ้านแรงไหม").concepts}
    # the passive marker says how it happened to the asker
    assert "โดน" not in {c.text for c in engine.parse("โดนเพื่อนโกงเงินจะฟ้องศาลไหน").concepts}


def test_a_name_the_catalog_writes_so_is_not_corrected(engine: SearchEngine) -> None:
    """ชุมชนกกสะทอน (a village, cut by the index into กก|สะ|ทอน) is written so in a title: not
    สะท้อน misspelt. A real misspelling still is corrected."""
    q = engine.parse("ชาวบ้านกกสะทอน")
    assert q.corrected == "" and "สะท้อน" not in {c.text for c in q.concepts}
    assert engine.parse("โรงพะยาบาน").corrected == "โรงพยาบาล"


def test_typo_is_corrected_against_catalog_vocabulary(engine: SearchEngine) -> None:
    q = engine.parse("ใบอนุญาติขับรถ")
    assert q.corrected
    assert any(c.kind == "corrected" for c in q.concepts)


def test_a_dictionary_misspelling_of_a_silent_letter_is_corrected(engine: SearchEngine) -> None:
    # pythainlp's word list has มัคคุเทศน์; the catalog spells it มัคคุเทศก์. ทอง stays gold, not ท่อง.
    assert engine.parse("มัคคุเทศน์").corrected == "มัคคุเทศก์"
    assert "ท่อง" not in engine.parse("ราคาทอง").key


def test_a_word_written_as_it_sounds_is_corrected(engine: SearchEngine) -> None:
    # ภ written พ, ฤษ written as its sound, a dropped ร: one edit more than plain typos get
    assert engine._correct("อำเพอ") == "อำเภอ"
    assert engine._correct("อังกิด") == "อังกฤษ"
    assert engine._correct("รัฐมนตี") == "รัฐมนตรี"
    assert engine._correct("โรงพะยาบาน") == "โรงพยาบาล"
    assert engine.parse("ทะเบียนวัดเชียงราย").corrected == ""  # a correct query is left alone


def test_a_word_the_catalog_lacks_reaches_its_wordnet_synonym(engine: SearchEngine) -> None:
    from index.wordnet import wordnet

    wn = wordnet()
    assert "ค่าจ้าง" in wn.synonyms("ค่าแรง")
    assert wn.is_person("แม่ค้า") and wn.is_person("ย่า") and not wn.is_person("ทอง")
    # every word offered is one the catalog holds in a title or tag; none for a word it holds
    for word in ("โรงหนัง", "ค่าแรง", "ขยะ"):
        for related in engine._related(word):
            assert all(engine._topicness(t) == 1.0 for t in related.split())
    assert engine._related("ทะเบียน") == ()


def test_a_wordnet_neighbour_of_many_uses_stands_for_nothing(engine: SearchEngine) -> None:
    """หย่า (divorce) shares a sense with เลิก (to stop, quit, end), which general Thai uses in a
    hundred ways: offered for หย่า it answered divorce statistics with anything that ended. A
    specific neighbour still is (แดด, sunshine -> แสงอาทิตย์)."""
    from index.search import RELATED_MAX_PER_MILLION
    from index.wordnet import wordnet

    assert "เลิก" in wordnet().synonyms("หย่า") and engine.general["เลิก"] > RELATED_MAX_PER_MILLION
    assert "เลิก" not in engine._related("หย่า")
    assert engine._related("แดด") == ("แสงอาทิตย์",)


def test_a_word_the_catalog_lacks_weighs_in_full_even_when_everyday(engine: SearchEngine) -> None:
    """ฟัง (listen) is everyday Thai the catalog never uses: the answer model reads that as its own
    feature (unmatched_common), so the weight is not discounted twice; a word for who asks still is."""
    from index.search import PERSON_TOPIC

    concepts = {c.text: c for c in engine.parse("ลูกชายอยากฟังวิทยุ").concepts}
    assert concepts["ฟัง"].kind == "unknown" and engine.general["ฟัง"] > 100
    assert concepts["ฟัง"].weight == pytest.approx(engine.vocab.idf("ฟัง"))
    assert concepts["ลูกชาย"].weight <= engine.vocab.idf("ลูกชาย") * PERSON_TOPIC + 1e-9


def test_wrong_keyboard_layout_is_rescued(engine: SearchEngine) -> None:
    # "ทะเบียนวัด" typed on the English layout
    q = engine.parse("mtg[upo;yf")
    assert q.corrected and "วัด" in q.corrected


def test_query_key_groups_variants(engine: SearchEngine) -> None:
    a = engine.parse("ราคาทองวันนี้ครับ").key
    b = engine.parse("ขอราคาทอง วันนี้ หน่อยค่ะ").key
    assert a == b


@pytest.mark.parametrize(
    ("text", "fiscal"),
    [("ปีงบประมาณ 2561", {2561}), ("ปีงบ 60", {2560}), ("ปี งบ 2560", {2560}), ("ปี 2561", set())],
)
def test_fiscal_years(text: str, fiscal: set[int], engine: SearchEngine) -> None:
    assert find_entities(engine.tokenizer.tokenize(text), lexicon()).fiscal == fiscal


def test_fiscal_year_picks_its_report_not_one_dated_in_it(engine: SearchEngine) -> None:
    # "ปีงบประมาณ 2561 (สะสม ณ เดือนพฤศจิกายน 2560)" is dated 2560 but belongs to fiscal 2561
    for hit in engine.search("ปริมาณเที่ยวบิน Bangkok FIR ปีงบประมาณ 2560").hits:
        assert "ปีงบประมาณ 2560" in hit.dataset.title, hit.dataset.title


def test_a_misplaced_cut_is_no_typo(engine: SearchEngine) -> None:
    # newmm may cut เชียง|รายปี: putting the cut back is not "did you mean"
    for text in ("ทะเบียนวัดเชียงรายปี 2563", "ทะเบียนวัดเชียงใหม่ปี 2562"):
        q = engine.parse(text)
        assert q.corrected == "" and q.provinces and q.years, text


def test_an_acronym_for_a_province_is_the_province(engine: SearchEngine) -> None:
    q = engine.parse("BMA budget 2019")
    assert q.provinces == frozenset({"กรุงเทพมหานคร"}) and q.years == frozenset({2562})
    assert [c.text for c in q.concepts] == ["budget"]


def test_a_province_name_said_as_a_word_is_never_the_topic_alone(engine: SearchEngine) -> None:
    # น่าน without จังหวัด is a word as well as a province: it weighs like a scope word
    q = engine.parse("ที่เที่ยวน่าน")
    weights = {c.text: c.weight for c in q.concepts}
    assert weights["น่าน"] < weights["ที่เที่ยว"]


@pytest.mark.parametrize(
    ("text", "not_a_topic"),
    [
        ("ค่าแรงวันละ 330 บาท", "330"),  # a price
        ("สอบตกมาสามรอบ", "สาม"),  # a count in words
        ("ร้านกาแฟ 55555", "55555"),  # laughter
    ],
)
def test_a_count_is_not_a_topic(engine: SearchEngine, text: str, not_a_topic: str) -> None:
    assert not_a_topic not in {c.text for c in engine.parse(text).concepts}


def test_a_number_the_catalog_names_stays_a_topic(engine: SearchEngine) -> None:
    assert "1584" in {c.text for c in engine.parse("สายด่วน 1584").concepts}


@pytest.mark.parametrize("text", ["ดาวน์โหลดไฟล์ยังไง", "เดี๋ยวไว้มาถามใหม่นะ"])
def test_words_people_use_are_not_corrected(engine: SearchEngine, text: str) -> None:
    """ไฟล์ is a word (not a slip for ไฟ); a particle and the next word are not one misspelt word."""
    assert engine.parse(text).corrected == ""


@pytest.mark.parametrize(("text", "kept"), [("ปริมาณฝนรายวัน", "ฝน"), ("สถิติหวยออก", "หวย")])
def test_a_correction_never_drops_a_word(engine: SearchEngine, text: str, kept: str) -> None:
    """ปริมาณ|ฝน is no misspelling of ปริมาณ: rain is a second topic the catalog lacks, and it
    stays in the query to count against an answer about traffic volumes."""
    q = engine.parse(text)
    assert q.corrected == "" and kept in {c.text for c in q.concepts}


def test_the_whole_country_weighs_as_a_scope(engine: SearchEngine) -> None:
    """Every dataset here is Thailand's: "ในประเทศไทย" says no topic (it let industrial estates
    "ในประเทศไทย" answer a question about earthquakes)."""
    q = engine.parse("สถิติแผ่นดินไหวในประเทศไทย")
    weights = {c.text: c.weight for c in q.concepts}
    assert weights["แผ่นดินไหว"] > 4 * max(weights["ในประเทศ"], weights["ไทย"])
    assert engine.search("สถิติแผ่นดินไหวในประเทศไทย").answered is False


@pytest.mark.parametrize(
    ("text", "live"),
    [
        ("ค่าฝุ่น PM2.5 รายชั่วโมง", True),
        ("รถเมล์จะมาถึงป้ายกี่โมง", True),
        ("air quality realtime", True),
        ("ราคาเส้นไหมวันนี้", False),  # today's price: the newest of the series will do
        ("ตอนนี้มีวินมอเตอร์ไซค์กี่วิน", False),  # "these days"
    ],
)
def test_the_moment_asked_is_a_period_not_a_word(engine: SearchEngine, text: str, live: bool) -> None:
    q = engine.parse(text)
    assert q.live is live
    assert not {"รายชั่วโมง", "realtime", "โมง"} & {c.text for c in q.concepts}


@pytest.mark.parametrize(
    ("text", "fiscal"),
    [
        ("flights FY2017", 2560),
        ("flights FY2563", 2563),
        ("budget fy63", 2563),
        ("จัดซื้อจัดจ้าง ปีงบประมาณ พ.ศ. 2558", 2558),  # the era between the marker and the year
    ],
)
def test_a_glued_fiscal_year_is_a_fiscal_year(engine: SearchEngine, text: str, fiscal: int) -> None:
    q = engine.parse(text)
    assert q.fiscal == {fiscal} and all(not c.text.startswith("fy") for c in q.concepts)


@pytest.mark.parametrize(
    ("text", "province"),
    [("temples Chiang Mai", "เชียงใหม่"), ("hospitals phra nakhon si ayutthaya", "พระนครศรีอยุธยา")],
)
def test_a_province_in_english_words(engine: SearchEngine, text: str, province: str) -> None:
    assert engine.parse(text).provinces == {province}


@pytest.mark.parametrize(
    ("text", "province"),
    [("วัดในกาละสิน", "กาฬสินธุ์"), ("โรงพยาบาลสุพันบุรี", "สุพรรณบุรี"), ("ทะเบียนวัด จ.สุรินทร", "สุรินทร์")],
)
def test_a_province_spelt_as_it_sounds(engine: SearchEngine, text: str, province: str) -> None:
    """The tokeniser cuts กาละสิน into กา|ละ|สิน: the pieces together sound like กาฬสินธุ์ (lk82),
    and the reply says what was understood."""
    q = engine.parse(text)
    assert q.provinces == {province} and province in q.corrected
    assert all(len(c.text) > 2 for c in q.concepts)  # no pieces of the name left as words


def test_a_synonym_is_read_with_a_linking_word_inside(engine: SearchEngine) -> None:
    """The key ที่ปรึกษาพระมหากษัตริย์ said as ที่ปรึกษา|ใน|พระมหากษัตริย์."""
    q = engine.parse("ที่ปรึกษาในพระมหากษัตริย์ มีใครบ้าง")
    concept = next(c for c in q.concepts if c.kind == "synonym")
    assert concept.text == "ที่ปรึกษา พระมหากษัตริย์" and ("องคมนตรี",) in concept.alts


def test_a_short_form_then_the_rest_misspelt_is_the_province(engine: SearchEngine) -> None:
    """อุบล is อุบลราชธานี's short form; ราช|ธาณี after it is the rest of the name, misspelt, and
    no topic; ราชการ after it is a word of its own."""
    q = engine.parse("หน่วยบริการสุขภาพ จ.อุบลราชธาณี")
    assert q.provinces == {"อุบลราชธานี"} and {c.text for c in q.concepts} == {"หน่วย บริการ สุขภาพ"}
    assert "ราชการ" in {c.text for c in engine.parse("อุบล ราชการ").concepts}


def test_a_sound_alike_province_is_not_read_into_ordinary_words(engine: SearchEngine) -> None:
    for text in ("ร้านกาแฟ", "ราคาข้าวโพดเลี้ยงสัตว์", "สินค้าเกษตรราคาถูก"):
        assert engine.parse(text).provinces == frozenset(), text


def test_a_compound_of_filler_words_that_titles_use_is_a_word(engine: SearchEngine) -> None:
    """ผู้ and ใช้ are in most datasets (filler here), but ผู้ใช้ (users) is a word titles hold;
    ที่ไหน, made of fillers too, is no topic."""
    texts = {c.text for c in engine.parse("ผู้ใช้อินเทอร์เน็ต ที่ไหน").concepts}
    assert "ผู้ใช้" in texts and "ที่ไหน" not in texts


def test_only_the_letters_typed_on_the_wrong_layout_are_retyped(engine: SearchEngine) -> None:
    """covid-19 typed with the Thai layout on: แนอรก-19; its digits and hyphen were typed as meant."""
    q = engine.parse("แนอรก-19 ผู้ติดเชื้อรายวัน")
    assert q.corrected.startswith("covid-19") and "covid-19" in {c.text for c in q.concepts}


def test_an_english_word_reaches_the_glossary_by_its_stem(engine: SearchEngine) -> None:
    """The glossary has "register"; "registered" is the same word (and no keyboard slip)."""
    q = engine.parse("registered temples")
    registered = next(c for c in q.concepts if c.text == "registered")
    assert registered.kind == "english" and ("ทะเบียน",) in registered.alts and q.corrected == ""


def test_english_letters_that_make_no_thai_are_not_converted(engine: SearchEngine) -> None:
    """'hii' on the Thai layout would be ้รร, which no Thai word starts with."""
    q = engine.parse("hii")
    assert q.corrected == "" and {c.text for c in q.concepts} == {"hii"}


def test_thanks_is_cut_loose_before_the_words_are(engine: SearchEngine) -> None:
    """ขอบคุณค่า is ขอบคุณ|ค่า, not ขอบ|คุณค่า."""
    assert {c.text for c in engine.parse("ขอบคุณค่า").concepts} == set()


def test_no_catalog_word_holds_a_courtesy_word_inside_it(engine: SearchEngine) -> None:
    """What lets index.query cut thanks and greetings loose before tokenising."""
    from index.query import COURTESY

    inside = [w for w in engine.df if COURTESY.search(w) and COURTESY.fullmatch(w) is None]
    assert inside == []


def test_a_function_word_some_title_holds_weighs_less_than_a_topic(engine: SearchEngine) -> None:
    """แล้ว is in เมาแล้วขับ titles, but said alone it is the sentence, not the topic."""
    from index.search import WEAK_TOPIC

    weights = {c.text: c.weight for c in engine.parse("วัด แล้ว").concepts}
    assert weights["แล้ว"] <= engine.vocab.idf("แล้ว") * WEAK_TOPIC + 1e-9


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("สนามกอล์ฟในหัวหิน", "ประจวบคีรีขันธ์"),
        ("ห้างในหาดใหญ่", "สงขลา"),
        ("จุดน้ำท่วมเขตบางเขน", "กรุงเทพมหานคร"),
        ("ร้านอาหาร อ.ปากช่อง", "นครราชสีมา"),
    ],
)
def test_a_district_stands_for_its_province(engine: SearchEngine, text: str, province: str) -> None:
    assert engine.parse(text).provinces == {province}


def test_a_district_named_like_an_everyday_word_is_no_place(engine: SearchEngine) -> None:
    """สอง and ลอง are districts of แพร่, and words: two, try."""
    assert engine.parse("สอบสองรอบ ลองใหม่").provinces == frozenset()


@pytest.mark.parametrize("text", ["ท่าเรือโดยสาร", "รถไฟฟ้าสายสีชมพู"])
def test_a_district_named_like_a_thing_is_no_place(engine: SearchEngine, text: str) -> None:
    """ท่าเรือ (a pier) and สีชมพู (pink) are districts too; the Thai WordNet knows them as words."""
    assert engine.parse(text).provinces == frozenset()


def test_every_everyday_word_in_the_synonyms_is_read_as_one(engine: SearchEngine) -> None:
    # a key no query can match is dead weight: one longer than the n-gram window
    # (30บาทรักษาทุกโรค), or holding a place that is read as a province first (ศาลาว่าการกทม)
    dead = [
        key
        for key in engine.lex.synonyms
        if not any(c.kind == "synonym" and "".join(c.text.split()) == key for c in engine.parse(key).concepts)
    ]
    assert not dead


@pytest.mark.parametrize(
    ("everyday", "formal"),
    [
        ("รถกระบะ", "รถยนต์"),
        ("กังหันลม", "พลังงานลม"),
        ("หอมใหญ่", "หอมหัวใหญ่"),
        ("คนงานพม่า", "คนต่างด้าว"),
        ("แอมบูแลนซ์", "พาหนะปฏิบัติการฉุกเฉิน"),
        ("โรงตึ๊ง", "สถานธนานุบาล"),
        ("ซิปโค้ด", "รหัสไปรษณีย์"),
        ("ประตูน้ำ", "ประตูระบายน้ำ"),
        ("ขี้คุก", "ผู้ต้องขัง"),
        ("หลวงพ่อ", "พระภิกษุ"),
        ("เหรียญตรา", "เครื่องราชอิสริยาภรณ์"),
        ("พ่อหลวง", "ผู้ใหญ่บ้าน"),
        ("หจก", "นิติบุคคล"),
        ("อาหารสัตว์ที่ส่งไปขายต่างประเทศ", "ส่งออก"),  # which way trade goes, in plain words
        ("ถ่านหินที่สั่งเข้าประเทศ", "นำเข้า"),
        ("ผู้ทุพพลภาพนั่งวีลแชร์", "คนพิการ"),
        ("ที่ปรึกษาของในหลวง", "องคมนตรี"),
    ],
)
def test_everyday_words_reach_the_catalogs_formal_terms(
    engine: SearchEngine, everyday: str, formal: str
) -> None:
    alternatives = {"".join(alt) for c in engine.parse(everyday).concepts for alt in c.alts}
    assert formal in alternatives


def test_a_letter_typed_twice_is_a_typo_even_when_the_pieces_are_words(engine: SearchEngine) -> None:
    """อัตตรา is cut into อัต|ตรา, two real pieces; อัตรา is what the catalog says. (ธรรม keeps its รร.)"""
    q = engine.parse("อัตตราค่าจ้างขั้นต่ำ")
    assert "อัตรา" in {c.text for c in q.concepts} and q.corrected


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("F8;bf ยอดรายวัน", "โควิด"),  # Thai typed on the English layout, beside Thai
        ("l;olkTkiIt กทม", "สวนสาธารณะ"),
        ("้นะำส กรุงเทพ", "hotel"),  # English typed on the Thai layout
    ],
)
def test_each_word_typed_on_the_wrong_layout_is_retyped(engine: SearchEngine, typed: str, meant: str) -> None:
    q = engine.parse(typed)
    assert meant in {c.text for c in q.concepts} and q.corrected


def test_a_word_for_people_cut_in_two_is_joined_and_weighs_as_who_asks(engine: SearchEngine) -> None:
    """ลูก|ชาย: whole, ลูกชาย says who is asking (Thai WordNet: a person); in halves, "child" and
    "male" weighed as topics the catalog lacks."""
    from index.search import PERSON_TOPIC

    concepts = {c.text: c for c in engine.parse("ลูกชายอยากเป็นพระค่ะ").concepts}
    assert "ลูกชาย" in concepts and "ลูก" not in concepts and "ชาย" not in concepts
    assert concepts["ลูกชาย"].weight <= engine.vocab.idf("ลูกชาย") * PERSON_TOPIC + 1e-9


def test_a_thing_said_in_other_words_is_as_specific_as_the_catalogs_name(engine: SearchEngine) -> None:
    """รถขนสารเคมี is said in four everyday words (รถ: in hundreds of titles) for the rare
    วัตถุอันตราย; weighed as its everyday words, a run of car-registration datasets that matched
    จดทะเบียน buried the one dataset of hazardous-goods trucks."""
    concepts = {c.text: c for c in engine.parse("รถขนสารเคมีหรือสารพิษ มีจดทะเบียนกี่คัน").concepts}
    typed = concepts["รถ ขน สาร เคมี"]
    said_as = [sum(engine.vocab.idf(t) for t in alt) / len(alt) for alt in typed.alts[:2]]
    assert said_as[1] > said_as[0] and typed.weight == pytest.approx(said_as[1])
    _, scored = engine.candidates("รถขนสารเคมีหรือสารพิษ มีจดทะเบียนกี่คัน")
    best = engine.datasets([scored[0].row])[scored[0].row]
    assert best.title == "รายงานสถิติรถบรรทุกวัตถุอันตราย"
