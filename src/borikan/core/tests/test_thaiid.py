from borikan.core.thaiid import is_valid_thai_id


def test_valid_id_passes_check_digit():
    assert is_valid_thai_id("1101700230708")


def test_id_with_wrong_check_digit_is_refused():
    assert not is_valid_thai_id("1101700230709")


def test_id_with_dashes_is_normalised():
    assert is_valid_thai_id("1-1017-00230-70-8")


def test_non_digits_or_wrong_length_are_refused():
    assert not is_valid_thai_id("110170023070")
    assert not is_valid_thai_id("11017002307OA")
    assert not is_valid_thai_id("")
