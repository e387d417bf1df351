"""What users see of a dataset's dates."""

from __future__ import annotations

from intents.cards import thai_date


def test_dates_are_thai_with_buddhist_era_years() -> None:
    assert thai_date("2021-10-31T08:00:00.123456") == "31 ต.ค. 2564"
    assert thai_date("2024-01-05") == "5 ม.ค. 2567"
    assert thai_date("") == thai_date("not a date") == ""
