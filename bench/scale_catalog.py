#!/usr/bin/env python3
# Copied from the project brief's shared/bench/scale_catalog.py so the benchmark runs from a clone.
"""Grow the real catalog snapshot into a larger, realistic one, for benchmarks.

Each synthetic dataset is a real one with its province, month and year swapped for others, so
titles keep the shape of real series (per-province registers, monthly reports, yearly statistics).
The real datasets come first and keep their names; synthetic names end in -s<N>.

usage: scale_catalog.py N [CATALOG.jsonl] > bigger.jsonl   (deterministic: same N, same output)
"""

import json
import random
import re
import sys
from pathlib import Path

PROVINCES = ["กระบี่", "กาญจนบุรี", "กาฬสินธุ์", "กำแพงเพชร", "ขอนแก่น", "จันทบุรี", "ฉะเชิงเทรา", "ชลบุรี", "ชัยนาท", "ชัยภูมิ", "ชุมพร", "เชียงราย", "เชียงใหม่", "ตรัง", "ตราด", "ตาก", "นครนายก", "นครปฐม", "นครพนม", "นครราชสีมา", "นครศรีธรรมราช", "นครสวรรค์", "นนทบุรี", "นราธิวาส", "น่าน", "บึงกาฬ", "บุรีรัมย์", "ปทุมธานี", "ประจวบคีรีขันธ์", "ปราจีนบุรี", "ปัตตานี", "พระนครศรีอยุธยา", "พะเยา", "พังงา", "พัทลุง", "พิจิตร", "พิษณุโลก", "เพชรบุรี", "เพชรบูรณ์", "แพร่", "ภูเก็ต", "มหาสารคาม", "มุกดาหาร", "แม่ฮ่องสอน", "ยโสธร", "ยะลา", "ร้อยเอ็ด", "ระนอง", "ระยอง", "ราชบุรี", "ลพบุรี", "ลำปาง", "ลำพูน", "เลย", "ศรีสะเกษ", "สกลนคร", "สงขลา", "สตูล", "สมุทรปราการ", "สมุทรสงคราม", "สมุทรสาคร", "สระแก้ว", "สระบุรี", "สิงห์บุรี", "สุโขทัย", "สุพรรณบุรี", "สุราษฎร์ธานี", "สุรินทร์", "หนองคาย", "หนองบัวลำภู", "อ่างทอง", "อำนาจเจริญ", "อุดรธานี", "อุตรดิตถ์", "อุทัยธานี", "อุบลราชธานี", "กรุงเทพมหานคร"]
MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
PROV_RE = re.compile("|".join(sorted(map(re.escape, PROVINCES), key=len, reverse=True)))
MONTH_RE = re.compile("|".join(MONTHS))
YEAR_RE = re.compile(r"25[0-9]{2}")


def vary(d, n, rng):
    def swap(text):
        if not text:
            return text
        text = PROV_RE.sub(lambda m: prov, text)
        text = MONTH_RE.sub(lambda m: month, text)
        return YEAR_RE.sub(lambda m: year, text)

    prov, month, year = rng.choice(PROVINCES), rng.choice(MONTHS), str(rng.randint(2540, 2568))
    out = dict(d)
    out["id"] = f"{d['id']}-s{n}"
    out["name"] = f"{d['name']}-s{n}"
    out["title"] = swap(d.get("title"))
    out["notes"] = swap(d.get("notes"))
    out["tags"] = [swap(t) for t in d.get("tags") or []]
    out["url"] = f"https://data.go.th/dataset/{out['name']}"
    out["resources"] = [dict(r, name=swap(r.get("name"))) for r in d.get("resources") or []]
    return out


def main():
    n = int(sys.argv[1])
    src = (
        Path(sys.argv[2])
        if len(sys.argv) > 2
        else Path(__file__).resolve().parent.parent / "catalog" / "datagoth.jsonl"
    )
    real = [json.loads(line) for line in src.open(encoding="utf-8") if line.strip()]
    rng = random.Random(n)
    write = sys.stdout.write
    for d in real[:n]:
        write(json.dumps(d, ensure_ascii=False) + "\n")
    for i in range(max(0, n - len(real))):
        write(json.dumps(vary(rng.choice(real), i, rng), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
