"""Catalog cleaning and loading, on dirty records and on the bundled data.go.th snapshot."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from index.catalog import CleanReport, bundled_catalog_path, clean_record, clean_records, load_jsonl
from index.dataset import Dataset, Resource
from tests.fakes.ckan import to_ckan_package

DL = "https://data.go.th/dataset/0a1b/resource"

DIRTY: dict[str, Any] = {
    "id": "0a1b",
    "name": "dirty-population",
    "title": "",
    "notes": "สถิติ&nbsp;ประชากร <b>ปี</b>&amp;nbsp;2563<br/>รายเดือน &lt; 15 ปี\r\n\r\n<p>ทั้งประเทศ</p>",
    "tags": ["ประชากร", "ห\ufffd", "", "ประชากร", "สถิติ\u200b", "  "],
    "organization": "กรมการ\u200bปกครอง",
    "groups": [],
    "license": "Open Data Common",
    "metadata_modified": "2021-03-04T05:06:07.000001",
    "url": "https://data.go.th/dataset/dirty-population",
    "resources": [
        {"name": "All resource data", "format": "ZIP", "url": f"{DL}/1/download/dirty-population.zip"},
        {"name": "ข้อมูลประชากร 2563", "format": "XSL", "url": f"{DL}/2/download/pop2563.xls"},
        {"name": "แผนที่อำเภอ", "format": "MAP", "url": f"{DL}/3/download/amphoe.kml"},
        {"name": "ขอบเขต", "format": "map", "url": f"{DL}/4/download/bounds.GML?x=1"},
        {"name": "แผนที่บีบอัด", "format": "MAP", "url": f"{DL}/5/download/area.kmz"},
        {"name": "ตาราง", "format": None, "url": f"{DL}/6/download/table.csv"},
        {"name": "รายงาน", "format": " .pdf", "url": "https://example.go.th/report"},
        {"name": "", "format": "", "url": ""},
    ],
    "num_resources": 7,
}


def bundled_records() -> list[dict[str, Any]]:
    with gzip.open(bundled_catalog_path(), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_dirty_record_is_cleaned() -> None:
    ds = clean_record(DIRTY)
    assert ds is not None
    assert ds.title == "ข้อมูลประชากร 2563"  # first real resource's name, not the bundle's
    assert ds.notes == "สถิติ ประชากร ปี 2563 รายเดือน < 15 ปี ทั้งประเทศ"
    assert ds.tags == ("ประชากร", "ห", "สถิติ")
    assert ds.organization == "กรมการปกครอง"
    assert [r.format for r in ds.resources] == ["ZIP", "XLS", "KML", "GML", "MAP", "CSV", "PDF"]
    assert ds.formats == ("XLS", "KML", "GML", "MAP", "CSV", "PDF")
    assert ds.num_resources == 7
    assert ds.page_url == "https://data.go.th/dataset/dirty-population"


def test_dirty_record_report_counts_what_was_fixed() -> None:
    report = CleanReport()
    assert len(list(clean_records([DIRTY], report))) == 1
    assert (report.read, report.kept, report.skipped_total) == (1, 1, 0)
    assert report.html_entities == 1
    assert report.invisible_chars == 1
    assert report.broken_tags == 5  # U+FFFD, zero-width, empty, blank, duplicate
    assert report.format_fixes == 5  # XSL, MAP->KML, map->GML, blank->CSV, " .pdf"
    assert report.untitled == 1


def test_bundle_stays_but_best_resource_prefers_a_real_file() -> None:
    ds = clean_record(DIRTY)
    assert ds is not None
    assert ds.resources[0].is_bundle
    assert ds.best_resource == Resource("ตาราง", "CSV", f"{DL}/6/download/table.csv")
    only_bundle = clean_record({"name": "zip-only", "title": "t", "resources": DIRTY["resources"][:1]})
    assert only_bundle is not None and only_bundle.best_resource is not None
    assert only_bundle.best_resource.is_bundle
    assert only_bundle.formats == ()


def test_untitled_without_resources_gets_its_name() -> None:
    ds = clean_record({"name": "dataset", "title": "  \u200b "})
    assert ds == Dataset(name="dataset", title="dataset")


@pytest.mark.parametrize(
    "raw",
    [
        {"title": "no name"},
        {"name": "", "title": "blank name"},
        {"name": "Has Space", "title": "not a CKAN name"},
        {"name": 42, "title": "numeric name"},
        {"name": None},
    ],
)
def test_record_without_usable_name_is_skipped(raw: dict[str, Any]) -> None:
    assert clean_record(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "odd-types", "title": ["x"], "notes": {"a": 1}, "tags": "not-a-list", "groups": 7},
        {"name": "odd-items", "tags": [None, 3, {"name": None}, {}], "resources": [None, "x", {"url": 5}]},
        {"name": "odd-org", "organization": {"title": None, "name": "org-slug"}, "num_resources": "abc"},
        {"name": "odd-url", "resources": [{"name": "r", "format": None, "url": "http://[::1"}]},
        {"name": "odd-numbers", "title": 2563, "num_resources": True, "license_id": "cc-by"},
    ],
)
def test_never_raises_on_odd_types(raw: dict[str, Any]) -> None:
    ds = clean_record(raw)
    assert ds is not None and ds.name == raw["name"]
    assert all(isinstance(t, str) and t for t in ds.tags)


def test_odd_record_values() -> None:
    ds = clean_record({"name": "odd-org", "organization": {"title": None, "name": "org-slug"}, "title": 2563})
    assert ds is not None and (ds.organization, ds.title) == ("org-slug", "2563")
    assert clean_record({"name": "lic", "license_id": "cc-by"}) == Dataset("lic", "lic", license="cc-by")


def test_ckan_shape_equals_our_shape_for_a_real_record() -> None:
    """covid-19-daily as data.go.th's package_search returned it (trimmed) and as our JSONL has it."""
    dl = "https://data.go.th/dataset/8a956917-436d-4afd-a2d4-59e4dd8e906e/resource"
    ckan = {
        "author": None,
        "data_category": "ข้อมูลสาธารณะ",
        "data_format": ["ไม่ทราบ"],
        "geo_coverage": "ประเทศ",
        "id": "8a956917-436d-4afd-a2d4-59e4dd8e906e",
        "license_id": "Creative Commons Attributions",
        "license_title": "Creative Commons Attributions",
        "metadata_created": "2020-03-20T15:10:05.377317",
        "metadata_modified": "2024-07-09T09:09:24.067447",
        "name": "covid-19-daily",
        "notes": "รายงานผู้ป่วยยืนยันประจำวัน จาก กรมควบคุมโรค\r\n\r\nสามารถติดตามสถานการณ์ได้ที่ "
        "https://ddc.moph.go.th/viralpneumonia",
        "num_resources": 14,
        "num_tags": 6,
        "objective": ["ไม่ทราบ"],
        "organization": {"id": "77895fda", "name": "ddc", "title": "กรมควบคุมโรค", "type": "organization"},
        "title": "รายงาน COVID-19 ประจำวัน ข้อมูลประจำประเทศไทย",
        "update_frequency_unit": "วัน",
        "extras": [{"key": "access_detail", "value": ""}],
        "groups": [{"display_name": "สาธารณสุข", "name": "public-health", "title": "สาธารณสุข"}],
        "resources": [
            {"format": "ZIP", "id": "5fe9", "name": "All resource data", "position": 0, "size": 463,
             "url": f"{dl}/5fe9/download/covid-19-daily-evlnnd.zip", "url_type": "upload"},
            {"format": "XLSX", "id": "4688", "name": "รายงานจำนวนผู้ติดเชื้อ COVID-19", "position": 1,
             "url": f"{dl}/4688/download/confirmed-cases-since-120465.xlsx", "datastore_active": True},
        ],
        "tags": [
            {"display_name": "COVID-19", "id": "1497", "name": "COVID-19", "state": "active",
             "vocabulary_id": None},
            {"display_name": "โควิด", "id": "d971", "name": "โควิด", "state": "active", "vocabulary_id": None},
        ],
    }  # fmt: skip
    ours = {
        "id": "8a956917-436d-4afd-a2d4-59e4dd8e906e",
        "name": "covid-19-daily",
        "title": "รายงาน COVID-19 ประจำวัน ข้อมูลประจำประเทศไทย",
        "notes": "รายงานผู้ป่วยยืนยันประจำวัน จาก กรมควบคุมโรค สามารถติดตามสถานการณ์ได้ที่ "
        "https://ddc.moph.go.th/viralpneumonia",
        "tags": ["COVID-19", "โควิด"],
        "organization": "กรมควบคุมโรค",
        "groups": ["สาธารณสุข"],
        "license": "Creative Commons Attributions",
        "metadata_modified": "2024-07-09T09:09:24.067447",
        "url": "https://data.go.th/dataset/covid-19-daily",
        "resources": [{k: r[k] for k in ("name", "format", "url")} for r in ckan["resources"]],
        "num_resources": 14,
    }
    from_ckan, from_ours = clean_record(ckan), clean_record(ours)
    assert from_ckan is not None and from_ckan == from_ours
    assert from_ckan.formats == ("XLSX",) and from_ckan.num_resources == 14


def test_ckan_shape_equals_our_shape_for_every_bundled_record() -> None:
    records = bundled_records()
    assert [clean_record(to_ckan_package(r)) for r in records] == [clean_record(r) for r in records]


def test_load_jsonl_tolerates_bad_lines_and_duplicates(tmp_path: Path) -> None:
    good = {"name": "good-one", "title": "ชุดแรก", "tags": ["ก"]}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "",
        '{"name": "broken", "title": ',
        json.dumps({"title": "no name"}),
        "[1, 2]",
        json.dumps({**good, "title": "ชุดใหม่"}, ensure_ascii=False),
    ]
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = CleanReport()
    datasets = list(load_jsonl(path, report))
    assert [(d.name, d.title) for d in datasets] == [("good-one", "ชุดใหม่")]  # last wins
    assert (report.read, report.kept, report.duplicates, report.skipped_total) == (6, 1, 1, 4)
    assert report.examples == [
        (2, "blank line"),
        (3, "malformed JSON"),
        (4, "no usable name"),
        (5, "not an object"),
    ]
    summary = report.summary()
    assert "Read 6 records: kept 1, skipped 4." in summary
    assert "malformed JSON 1" in summary and "1 duplicates" in summary


def test_load_jsonl_gz_with_bad_bytes_and_many_bad_lines(tmp_path: Path) -> None:
    good = json.dumps({"name": "bytes", "title": "ข้อมูล", "tags": ["ทดสอบ"]}, ensure_ascii=False).encode()
    broken = good.replace("ทดสอบ".encode(), "ทดสอบ".encode()[:-1])  # cut mid-character
    path = tmp_path / "catalog.jsonl.gz"
    path.write_bytes(gzip.compress(broken + b"\n" + b"not json\n" * 30))
    report = CleanReport()
    [ds] = list(load_jsonl(path, report))
    assert ds.tags == ("ทดสอ",)
    assert report.broken_tags == 1
    assert report.skipped["malformed JSON"] == 30
    assert len(report.examples) == 20 and report.examples[0] == (2, "malformed JSON")


def test_bundled_snapshot() -> None:
    path = bundled_catalog_path()
    assert path.name == "datagoth.jsonl.gz" and path.parent.parent == Path(__file__).parents[1] / "index"
    assert (path.parent / "SOURCES.md").is_file()
    report = CleanReport()
    datasets = list(load_jsonl(path, report))
    assert len(datasets) == 1237 == len({d.name for d in datasets})
    assert (report.read, report.kept, report.skipped_total, report.duplicates) == (1237, 1237, 0, 0)
    assert (report.html_entities, report.broken_tags, report.untitled) == (0, 0, 1)
    assert report.invisible_chars == 4  # zero-width spaces in four records' Thai text
    assert report.format_fixes == 1523  # 1,423 XSL + 47 MAP->KML + 53 MAP->GML
    assert not any("XSL" in d.formats for d in datasets)
    assert sum(r.is_bundle for d in datasets for r in d.resources) == 749  # of 808 ZIP resources
    assert all(d.title and d.metadata_modified for d in datasets)
    covid = next(d for d in datasets if d.name == "covid-19-daily")
    assert covid.groups == ("วิทยาศาสตร์ เทคโนโลยีดิจิทัล และนวัตกรรม", "สาธารณสุข")
    assert covid.best_resource is not None and not covid.best_resource.is_bundle


def test_download_is_the_data_for_every_bundled_dataset() -> None:
    """Never a data dictionary, metadata sheet or bundle when the dataset has a data file; and
    the most usable format among its data files."""
    documented = 0
    for d in load_jsonl(bundled_catalog_path(), CleanReport()):
        data = [r for r in d.resources if not r.is_bundle and not r.is_documentation]
        best = d.best_resource
        documented += any(r.is_documentation for r in d.resources)
        if not data:
            continue
        assert best in data, (d.name, best)
        assert best.format_rank == min(r.format_rank for r in data), d.name
    assert documented >= 150  # the portal attaches dictionaries to many datasets


def test_documentation_files_are_recognised_by_name_or_file() -> None:
    docs = [
        Resource("พจนานุกรมข้อมูล", "PDF", "https://x/a.pdf"),
        Resource("metadata_กรมโรงงานอุตสาหกรรม", "XLSX", "https://x/b.xlsx"),
        Resource("คำอธิบายชุดข้อมูลราคากลางยา", "XLS", "https://x/c.xls"),
        Resource("ไฟล์ 1", "XLSX", "https://x/download/covid-19-daily_data_dictionary.xlsx"),
        Resource("Data dict - ที่ตั้งสำนักงาน", "XLSX", "https://x/d.xlsx"),
    ]
    data = [
        Resource("ทะเบียนวัด", "XLSX", "https://x/wat.xlsx"),
        Resource("ข้อมูลคำอธิบายรายวิชา", "CSV", "https://x/course.csv"),
    ]
    assert all(r.is_documentation for r in docs)
    assert not any(r.is_documentation for r in data)
    ds = Dataset("wat", "ทะเบียนวัด", resources=(docs[1], Resource("PDF", "PDF", "https://x/p.pdf"), data[0]))
    assert ds.best_resource == data[0]
    pdf_first = Dataset("p", "t", resources=(Resource("รายงาน", "PDF", "https://x/r.pdf"), data[1]))
    assert pdf_first.best_resource == data[1]
