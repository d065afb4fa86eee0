import datetime as dt

from borikan.core.thaidate import be_year, fiscal_year_be, thai_date


def test_be_year_adds_543_after_1941():
    assert be_year(dt.date(2026, 11, 25)) == 2569


def test_be_year_before_1941_new_year_was_april():
    assert be_year(dt.date(1940, 2, 1)) == 2482
    assert be_year(dt.date(1940, 5, 1)) == 2483


def test_thai_date_with_thai_digits():
    assert thai_date(dt.date(2021, 5, 25), thai_digits=True) == "๒๕ พฤษภาคม ๒๕๖๔"
    assert thai_date(dt.date(2021, 5, 25)) == "25 พฤษภาคม 2564"


def test_fiscal_year_turns_in_october():
    assert fiscal_year_be(dt.date(2026, 9, 30)) == 2569
    assert fiscal_year_be(dt.date(2026, 10, 1)) == 2570


def test_a_typed_date_is_read_in_the_buddhist_era_and_iso_still_works():
    import datetime as dt

    import pytest

    from borikan.core.thaidate import parse_typed_date, typed_be

    assert parse_typed_date("15/08/2569") == dt.date(2026, 8, 15)
    assert parse_typed_date(" 1-1-2570 ") == dt.date(2027, 1, 1)
    assert parse_typed_date("2026-08-15") == dt.date(2026, 8, 15)
    assert typed_be(dt.date(2026, 8, 15)) == "15/08/2569" and typed_be(None) == ""
    for bad in ("15/08/2026", "31/02/2569", "", "15/08", "not a date"):
        with pytest.raises(ValueError):
            parse_typed_date(bad)
