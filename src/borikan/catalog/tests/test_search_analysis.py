"""The tokeniser and its helpers: pure functions, no database."""

import pytest

from borikan.catalog.search.analysis import (
    analyse,
    damerau_levenshtein,
    decompound,
    normalise,
    normalise_with_offsets,
    sound_form,
    stem_english,
    strip_tone_marks,
    thai_sound_key,
    tokenise,
)


def words(text: str) -> list[str]:
    return [t.text for t in tokenise(normalise(text))]


def test_thai_without_spaces_is_split_into_words():
    assert words("ทำพาสปอร์ตต่อใบขับขี่") == ["ทำ", "พาสปอร์ต", "ต่อ", "ใบขับขี่"]


def test_mixed_thai_and_english_are_split_at_the_script_boundary():
    assert words("ต่อwork permitที่ตม") == ["ต่อ", "work", "permit", "ที่", "ตม"]


def test_numbers_stand_apart_from_thai_and_thai_digits_become_arabic():
    assert words("ตม47") == ["ตม", "47"]
    assert words("ภงด๙๐") == ["ภงด", "90"]


def test_abbreviation_dots_are_dropped_so_both_spellings_meet():
    assert words("ภ.ง.ด.90") == words("ภงด90") == ["ภงด", "90"]


def test_full_width_and_upper_case_latin_are_folded():
    assert normalise("ＰＡＳＳＰＯＲＴ ThaID") == "passport thaid"


def test_zero_width_and_control_characters_do_not_reach_the_tokeniser():
    assert words("พาส\u200bปอร์ต") == ["พาสปอร์ต"]
    assert normalise("a\x00b") == "a b"


def test_typing_slips_are_repaired_decomposed_sara_am_and_doubled_tone_mark():
    assert normalise("ทํา") == "ทำ"
    assert normalise("ใบขับขี่่") == "ใบขับขี่"


def test_offsets_point_back_into_the_original_text():
    text, where = normalise_with_offsets("ภ.ง.ด.90")
    assert text == "ภงด90"
    assert [where[i] for i in range(len(text))] == [0, 2, 4, 6, 7]


def test_tone_marks_are_kept_in_terms_but_ignored_by_the_sound_form():
    assert words("ใบขับขี") != words("ใบขับขี่")
    assert strip_tone_marks("ใบขับขี่") == "ใบขับขี"
    assert sound_form("พาสปอร์ต") == sound_form("พาสปอด".replace("ด", "ต"))
    assert sound_form("พาณิชย์") == sound_form("พานิช")
    assert thai_sound_key("พาสปอด") == thai_sound_key("พาสปอร์ต")


def test_compounds_split_into_common_words_but_plain_words_stay_whole():
    assert decompound("หนังสือเดินทาง") == ("หนังสือ", "เดินทาง")
    assert decompound("ขับรถ") == ("ขับ", "รถ")
    assert decompound("ทะเบียน") == ()
    assert decompound("passport") == ()


@pytest.mark.parametrize(
    ("word", "stem"),
    [("renewal", "renew"), ("licences", "licence"), ("registering", "register"), ("business", "business")],
)
def test_english_words_are_lightly_stemmed(word, stem):
    assert stem_english(word) == stem


def test_analysis_drops_stopwords_and_adds_parts_and_word_pairs():
    terms = dict(analyse("ต้องทำหนังสือเดินทางอะไร"))
    assert "ต้อง" not in terms and "อะไร" not in terms
    assert terms["หนังสือเดินทาง"] == 1.0
    assert terms["หนังสือ"] == 0.5
    assert terms["ทำ หนังสือเดินทาง"] == 0.5


def test_edit_distance_counts_a_transposition_as_one_edit_and_stops_at_the_limit():
    assert damerau_levenshtein("pasport", "passport", 2) == 1
    assert damerau_levenshtein("licnece", "licence", 2) == 1
    assert damerau_levenshtein("abcdef", "uvwxyz", 2) == 3
