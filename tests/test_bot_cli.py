from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture()
def data_dir(tmp_path: Path, index_path: Path) -> Path:
    shutil.copy(index_path, tmp_path / "index.sqlite")
    return tmp_path


def test_search_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "search", "ตลาดน้ำ กรุงเทพ", "--json", "--limit", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answered"] is True
    assert out["results"][0]["name"] == "float_market"
    assert len(out["results"]) <= 3


def test_search_cleans_an_undecodable_argument(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """issue 13.1: a byte that is not UTF-8 in argv arrives as a lone surrogate."""
    assert main(["--data-dir", str(data_dir), "search", "ตลาดน้ำ\udcff\x00 กรุงเทพ", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "ตลาดน้ำ กรุงเทพ" and out["results"][0]["name"] == "float_market"


def test_search_text_says_nothing_found(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "search", "สูตรต้มยำกุ้ง"]) == 0
    assert "nothing found" in capsys.readouterr().out


def test_index_build_from_a_dirty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "c.jsonl"
    records = [
        {"name": "a-b", "title": "ทะเบียนวัด &amp; โบราณสถาน", "tags": ["วัด", "ศาสน\ufffd"], "resources": []},
        {"title": "no name"},
        "not an object",
    ]
    catalog.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n{broken", encoding="utf-8"
    )
    assert main(["--data-dir", str(tmp_path / "var"), "index", "build", "--catalog", str(catalog)]) == 0
    out = capsys.readouterr().out
    assert "index: 1 datasets" in out
    assert (tmp_path / "var" / "index.sqlite").exists()
    assert main(["--data-dir", str(tmp_path / "var"), "search", "โบราณสถาน", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["name"] == "a-b"


def test_missing_catalog_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--data-dir", str(tmp_path), "index", "build", "--catalog", str(tmp_path / "nope.jsonl")]) == 2
    )
    assert "no catalog file" in capsys.readouterr().err


def test_bad_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert main(["search", "x"]) == 2
    assert "PORT" in capsys.readouterr().err


def test_stale_index_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    from bot.runtime import ensure_index

    stale = tmp_path / "index.sqlite"
    with sqlite3.connect(stale) as db:
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    ensure_index(stale)
    with sqlite3.connect(stale) as db:
        assert db.execute("SELECT count(*) FROM datasets").fetchone()[0] > 1000


def test_index_from_another_lexicon_is_reindexed_from_its_own_datasets(tmp_path: Path) -> None:
    import sqlite3

    from bot.runtime import ensure_index
    from index.build import build_index
    from index.catalog import bundled_catalog_path, load_jsonl

    index = tmp_path / "index.sqlite"
    some = list(load_jsonl(bundled_catalog_path()))[:40]  # as if harvested from a portal
    build_index(some, index, source="https://portal.example")
    with sqlite3.connect(index) as db:
        db.execute("UPDATE meta SET value = 'older' WHERE key = 'text'")
        db.execute("UPDATE meta SET value = 'then' WHERE key = 'built_at'")
    ensure_index(index)
    with sqlite3.connect(index) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        assert db.execute("SELECT count(*) FROM datasets").fetchone()[0] == 40  # not the bundled 1,237
    assert meta["source"] == "https://portal.example" and meta["built_at"] != "then"
    assert meta["text"] != "older"
    inode = index.stat().st_ino  # a rebuild replaces the file
    ensure_index(index)  # current now: left alone
    assert index.stat().st_ino == inode


def test_index_build_harvests_ckan_then_refreshes_incrementally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    from tests.fakes.ckan import serve_fake_ckan

    bundled = Path(__file__).parent.parent / "index" / "data" / "datagoth.jsonl.gz"
    records = [json.loads(line) for line in gzip.decompress(bundled.read_bytes()).decode().splitlines()[:150]]
    data_dir = str(tmp_path / "var")
    with serve_fake_ckan(records) as (url, requests):
        assert main(["--data-dir", data_dir, "index", "build", "--ckan", url, "--api-key", "k3y"]) == 0
        full = len(requests)
    assert "index: 150 datasets" in capsys.readouterr().out
    assert full >= 2  # paged

    newer = dict(
        records[0],
        name="brand-new-temples",
        title="ทะเบียนโบราณสถานใหม่",
        metadata_modified="2030-01-01T00:00:00",
    )
    with serve_fake_ckan([newer, *records]) as (url, requests):
        assert main(["--data-dir", data_dir, "index", "build", "--ckan", url]) == 0
        # only what changed since the newest indexed dataset was asked for
        assert all("metadata_modified:[" in r.params.get("fq", "") for r in requests)
    assert "index: 151 datasets" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "search", "โบราณสถานใหม่", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["name"] == "brand-new-temples"


@pytest.mark.parametrize("args", [["unanswered", "--csv"], ["search", "ทะเบียนวัด", "--limit", "50"]])
def test_no_traceback_when_the_reader_goes_away(data_dir: Path, args: list[str]) -> None:
    """`khomun ... | head`: head exits early and the next write meets a closed pipe."""
    import subprocess
    import sys

    if args[0] == "search" and not os.environ.get("KHOMUN_SLOW_TESTS"):
        pytest.skip("5 s (opens the index): the same handler as unanswered; KHOMUN_SLOW_TESTS=1 runs it")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before it writes a line: every write now fails with EPIPE
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


@pytest.mark.parametrize("limit", ["0", "51", "lots", "-3", "1e3"])
def test_limit_is_validated_like_the_api(
    data_dir: Path, limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(data_dir), "search", "วัด", "--limit", limit])
    assert exit_.value.code == 2
    assert "limit must be a whole number from 1 to 50" in capsys.readouterr().err


def test_every_argument_has_help() -> None:
    import argparse

    from bot.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
                    if not any(c.dest == name and c.help for c in action._choices_actions):
                        missing.append(f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(build_parser(), "khomun") == []
