"""The impact → IAL/AAL mapping, row by row."""

from decimal import Decimal

import pytest

from borikan.catalog.assurance import CATEGORIES, Impact, derive_levels, nist_level

N, L, M, H = Impact.NONE, Impact.LOW, Impact.MODERATE, Impact.HIGH


def rate(**overrides: Impact) -> dict[str, Impact]:
    return {category: overrides.get(category, N) for category in CATEGORIES}


# (ratings, personal data online?, NIST level, IAL, AAL)
ROWS = [
    (rate(), False, 1, "1.1", "1"),
    (rate(inconvenience=L), False, 1, "1.2", "1"),
    (rate(financial=L), False, 1, "1.2", "1"),
    (rate(inconvenience=L), True, 1, "1.2", "2.1"),  # personal data online → two factors
    (rate(programs=L), False, 2, "2.1", "2.1"),  # any harm to programmes leaves level 1
    (rate(sensitive_information=L), False, 2, "2.1", "2.1"),
    (rate(personal_safety=L), False, 2, "2.1", "2.1"),
    (rate(civil_criminal=L), False, 2, "2.1", "2.1"),
    (rate(inconvenience=M), False, 2, "2.2", "2.2"),
    (rate(financial=M), False, 2, "2.2", "2.2"),
    (rate(financial=M, sensitive_information=M), False, 2, "2.3", "2.2"),
    (rate(financial=M, programs=M, civil_criminal=M), True, 2, "2.3", "2.2"),
    (rate(personal_safety=M), False, 3, "3", "3"),  # safety tolerates only low at level 2
    (rate(inconvenience=H), False, 3, "3", "3"),
    (rate(financial=H), False, 3, "3", "3"),
    (rate(programs=H), False, 3, "3", "3"),
    (rate(sensitive_information=H), False, 3, "3", "3"),
    (rate(civil_criminal=H), False, 3, "3", "3"),
]


@pytest.mark.parametrize(("ratings", "personal", "level", "ial", "aal"), ROWS)
def test_mapping_row(ratings, personal, level, ial, aal):
    derivation = derive_levels(ratings, personal_data_online=personal)
    assert (derivation.nist_level, derivation.ial, derivation.aal) == (level, Decimal(ial), Decimal(aal))


def test_every_category_level_combination_gives_a_level():
    for category in CATEGORIES:
        for impact in Impact:
            assert nist_level(rate(**{category: impact})) in (1, 2, 3)


def test_raising_any_rating_never_lowers_the_levels():
    for category in CATEGORIES:
        previous = derive_levels(rate(), personal_data_online=False)
        for impact in (L, M, H):
            current = derive_levels(rate(**{category: impact}), personal_data_online=False)
            assert current.ial >= previous.ial
            assert current.aal >= previous.aal
            previous = current


def test_all_categories_must_be_rated():
    with pytest.raises(ValueError, match="missing"):
        derive_levels({"financial": L}, personal_data_online=False)


def test_derivation_explains_itself_in_both_languages():
    steps = derive_levels(rate(financial=M), personal_data_online=False).steps
    assert steps[0] == (
        "ผลกระทบสูงสุดที่ประเมินได้: moderate → ระดับ NIST 2 (ตาราง 6-1)",
        "Highest rated impact: moderate → NIST level 2 (Table 6-1)",
    )


def test_every_transaction_type_has_a_complete_default_profile():
    from borikan.catalog.assurance import DEFAULT_PROFILES
    from borikan.catalog.models import TransactionType

    assert set(DEFAULT_PROFILES) == set(TransactionType.values)
    assert all(set(profile) == set(CATEGORIES) for profile in DEFAULT_PROFILES.values())


@pytest.mark.parametrize(
    ("transaction_type", "ial", "aal"),
    [("information", "1.1", "1"), ("licence-new", "2.3", "2.2"), ("licence-renewal", "2.1", "2.1")],
)
def test_default_profiles_give_sensible_levels(transaction_type, ial, aal):
    from borikan.catalog.assurance import DEFAULT_PROFILES

    derivation = derive_levels(DEFAULT_PROFILES[transaction_type], personal_data_online=False)
    assert (derivation.ial, derivation.aal) == (Decimal(ial), Decimal(aal))
