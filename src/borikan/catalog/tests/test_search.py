"""Search over the sample catalogue: ranking, synonyms, typos, facets, highlights, suggestions, freshness, bad input."""

from collections import Counter

import pytest

from borikan.audit.models import AuditEntry
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.catalog.models import SearchSynonym, Service
from borikan.catalog.search import state
from borikan.catalog.search.engine import MAX_CLAUSES, SearchOptions, plan_query
from borikan.catalog.search.selectors import SearchFilters, service_search
from borikan.catalog.search.services import synonym_create, synonym_delete
from borikan.conftest import TWO_FACTORS, signed_in
from borikan.core.errors import PermissionDenied, ValidationFailed
from borikan.identity.models import User

CATALOGUE = read_catalogue_file(DEFAULT_CATALOGUE)


@pytest.fixture(autouse=True)
def fresh_index():
    state.reset()
    yield
    state.reset()


@pytest.fixture
def catalogue(db):
    report = load_catalogue(data=CATALOGUE)
    assert report.ok
    return report


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops@borikan.go.th", "correct-horse-battery-staple", is_staff=True)
    return signed_in(user, *TWO_FACTORS)  # operators work at AAL 2


def slugs(result) -> list[str]:
    return [hit.service.slug for hit in result.hits]


def test_colloquial_thai_without_spaces_finds_the_service(catalogue):
    assert slugs(service_search(query="ทำพาสปอร์ต"))[0] == "passport-adult"
    assert slugs(service_search(query="ต่อใบขับขี่"))[:2].count("driving-licence-renewal") == 1
    assert set(slugs(service_search(query="เปิดร้านขายอาหารต้องขออะไร"))[:2]) == {
        "food-shop-licence",
        "food-shop-notification",
    }


def test_english_query_finds_the_thai_service(catalogue):
    assert slugs(service_search(query="passport renewal"))[0] == "passport-adult"


def test_seeded_synonym_makes_a_word_absent_from_the_catalogue_find_the_service(catalogue):
    with_synonyms = service_search(query="beer")
    without = service_search(query="beer", options=SearchOptions(synonyms=False, typos=False))
    assert slugs(with_synonyms) == ["liquor-sale-licence"]
    assert "beer = liquor" in with_synonyms.hits[0].reasons
    assert without.total == 0


def test_operator_synonym_takes_effect_on_the_next_query_and_goes_away_when_removed(catalogue, operator):
    assert service_search(query="หมูกระทะ").total <= 1
    synonym = synonym_create(actor=operator, terms=["หมูกระทะ", "ร้านอาหาร"], note="colloquial")
    assert set(slugs(service_search(query="หมูกระทะ"))[:2]) == {"food-shop-licence", "food-shop-notification"}
    synonym_delete(actor=operator, synonym_id=synonym.pk)
    assert "food-shop-licence" not in slugs(service_search(query="หมูกระทะ"))


def test_synonym_changes_are_audited(catalogue, operator):
    synonym = synonym_create(actor=operator, terms=["  หมูกระทะ ", "ร้านอาหาร", "หมูกระทะ"])
    assert synonym.terms == ["หมูกระทะ", "ร้านอาหาร"]
    synonym_delete(actor=operator, synonym_id=synonym.pk)
    actions = list(AuditEntry.objects.filter(object_type="search_synonym").values_list("action", flat=True))
    assert actions == ["search.synonym_added", "search.synonym_removed"]


def test_only_operators_may_change_synonyms(catalogue):
    citizen = User.objects.create_user("citizen@example.com", "correct-horse-battery-staple")
    before = SearchSynonym.objects.count()
    with pytest.raises(PermissionDenied):
        synonym_create(actor=citizen, terms=["a1", "b2"])
    assert SearchSynonym.objects.count() == before


def test_a_synonym_group_needs_two_different_terms(catalogue, operator):
    with pytest.raises(ValidationFailed) as error:
        synonym_create(actor=operator, terms=["พาสปอร์ต", "พาสปอร์ต "])
    assert error.value.code == "synonym_terms_count"


def test_thai_typo_is_corrected_by_sound(catalogue):
    result = service_search(query="พาสปอด")
    assert set(slugs(result)[:2]) == {"passport-adult", "passport-minor"}
    assert "พาสปอด → พาสปอร์ต" in result.interpretations
    assert service_search(query="พาสปอด", options=SearchOptions(typos=False)).total == 0


def test_thai_missing_tone_mark_is_tolerated(catalogue):
    assert slugs(service_search(query="บัตรประชาชนหมดอายู"))[0] == "id-card-renewal"


def test_english_typo_is_corrected_by_edit_distance(catalogue):
    result = service_search(query="pasport")
    assert set(slugs(result)[:2]) == {"passport-adult", "passport-minor"}
    assert "pasport → passport" in result.interpretations
    assert service_search(query="pasport", options=SearchOptions(typos=False)).total == 0


def test_unfinished_word_is_completed(catalogue):
    assert slugs(service_search(query="ทำพาสปอ"))[0] == "passport-adult"


def test_facet_counts_are_the_counts_over_the_hits(catalogue):
    result = service_search(query="ใบอนุญาต", limit=100)
    assert result.total == len(result.hits) > 10
    categories = {f.value: f.count for f in result.facets["category"]}
    assert categories == dict(Counter(hit.service.category for hit in result.hits))
    fees = {f.value: f.count for f in result.facets["fee"]}
    assert fees == dict(Counter("paid" if h.service.fee_satang else "free" for h in result.hits))
    channels = {f.value: f.count for f in result.facets["channel"]}
    assert channels["counter"] == sum("counter" in h.service.channels for h in result.hits)


def test_a_filter_narrows_the_hits_and_its_own_facet_still_shows_the_alternatives(catalogue):
    everything = service_search(query="ใบอนุญาต", limit=100)
    business = service_search(query="ใบอนุญาต", filters=SearchFilters(category="business"), limit=100)
    assert {h.service.category for h in business.hits} == {"business"}
    assert business.total == next(f.count for f in everything.facets["category"] if f.value == "business")
    assert business.facets["category"] == everything.facets["category"]
    assert sum(f.count for f in business.facets["fee"]) == business.total


def test_fee_and_channel_filters(catalogue):
    free = service_search(query="", filters=SearchFilters(fee="free"), limit=100)
    assert (
        free.total
        == Service.objects.filter(fee_satang__isnull=True).count() + Service.objects.filter(fee_satang=0).count()
    )
    online = service_search(query="ภาษี", filters=SearchFilters(channel="online"), limit=100)
    assert online.total > 0
    assert all("online" in h.service.channels for h in online.hits)


def test_empty_query_lists_every_published_service_by_thai_name(catalogue):
    result = service_search(query="", limit=100)
    assert result.total == 102
    names = [h.service.name_th for h in result.hits]
    assert names == sorted(names)


def test_highlight_marks_what_matched_in_the_original_text(catalogue):
    hit = service_search(query="ทำพาสปอร์ต").hits[0]
    name = next(h for h in hit.highlights if h.field == "name_th")
    assert [name.text[s:e] for s, e in name.spans] == ["หนังสือเดินทาง"]
    assert "".join(text for text, _ in name.segments) == name.text
    assert "พาสปอร์ต = หนังสือเดินทาง" in hit.reasons


def test_highlight_maps_through_normalisation_to_the_original_characters(catalogue):
    hit = service_search(query="ภงด90").hits[0]
    assert hit.service.slug == "personal-income-tax-filing"
    name = next(h for h in hit.highlights if h.field == "name_th")
    assert "ภ.ง.ด.90" in [name.text[s:e] for s, e in name.spans]


def test_suggestions_when_nothing_matches(catalogue):
    result = service_search(query="พาสปอด", options=SearchOptions(typos=False))
    assert result.total == 0
    assert result.suggestions
    assert all("พาสปอร์ต" in s for s in result.suggestions)
    assert service_search(query="qqqq zzzz").suggestions == []


def test_index_sees_a_service_added_after_it_was_built(catalogue):
    before = service_search(query="เลี้ยงผึ้ง")
    template = Service.objects.get(slug="farmer-registration")
    template.pk = None
    template.slug = "beekeeping-registration"
    template.name_th = "การขึ้นทะเบียนผู้เลี้ยงผึ้ง"
    template.name_en = "Beekeeper registration"
    template.save()
    after = service_search(query="เลี้ยงผึ้ง")
    assert "beekeeping-registration" not in slugs(before)
    assert slugs(after)[0] == "beekeeping-registration"


def test_index_sees_an_edit_after_it_was_built(catalogue):
    assert slugs(service_search(query="tobacco"))[0] == "tobacco-sale-licence"
    assert service_search(query="hookah", options=SearchOptions(typos=False)).total == 0
    service = Service.objects.get(slug="tobacco-sale-licence")
    service.name_en = "Tobacco and hookah sale licence"
    service.keywords_th = ["ขายบารากู่"]
    service.save()
    assert slugs(service_search(query="บารากู่"))[0] == "tobacco-sale-licence"
    assert slugs(service_search(query="hookah"))[0] == "tobacco-sale-licence"


def test_index_drops_a_withdrawn_service(catalogue):
    assert "passport-minor" in slugs(service_search(query="พาสปอร์ต"))
    service = Service.objects.get(slug="passport-minor")
    service.is_published = False
    service.save()
    result = service_search(query="พาสปอร์ต")
    assert "passport-minor" not in slugs(result)
    assert service_search(query="", limit=100).total == 101


def test_index_sees_services_inserted_in_bulk_without_signals(catalogue):
    assert "beekeeping-registration" not in slugs(service_search(query="เลี้ยงผึ้ง"))
    template = Service.objects.get(slug="farmer-registration")
    template.pk = None
    template.slug = "beekeeping-registration"
    template.name_th = "การขึ้นทะเบียนผู้เลี้ยงผึ้ง"
    Service.objects.bulk_create([template])
    assert slugs(service_search(query="เลี้ยงผึ้ง"))[0] == "beekeeping-registration"


def test_revision_stays_the_same_while_nothing_changes(catalogue):
    assert state.catalogue_revision() == state.catalogue_revision()
    first = state.current_state()
    service_search(query="ภาษี")
    assert state.current_state() is first


def test_revision_changes_with_every_kind_of_catalogue_change(catalogue, operator):
    first = state.catalogue_revision()
    Service.objects.get(slug="passport-adult").save()
    second = state.catalogue_revision()
    synonym_create(actor=operator, terms=["x-ray", "เอกซเรย์"])
    third = state.catalogue_revision()
    assert len({first, second, third}) == 3


def test_too_long_query_is_refused_with_a_code():
    with pytest.raises(ValidationFailed) as error:
        service_search(query="ก" * 10_000)
    assert error.value.code == "query_too_long"
    assert error.value.status == 422


def test_binary_query_gives_an_empty_result(catalogue):
    result = service_search(query="\x00\x01\x02\ufffd")
    assert (result.total, result.hits) == (0, [])


def test_injection_like_query_is_just_text(catalogue):
    result = service_search(query="'; DROP TABLE catalog_service; -- <script>alert(1)</script>")
    assert Service.objects.count() == 102
    assert result.total >= 0


def test_a_long_query_is_bounded_in_work(catalogue):
    query = " ".join(["ใบอนุญาต", "พาสปอด", "passport", "ทะเบยน"] * 12)[:200]
    current = state.current_state()
    plan = plan_query(current.index, current.synonyms, query, SearchOptions())
    assert len(plan.clauses) <= MAX_CLAUSES


def test_bad_filter_value_is_refused(catalogue):
    with pytest.raises(ValidationFailed) as error:
        service_search(query="ภาษี", filters=SearchFilters(fee="cheap"))
    assert error.value.code == "filter_invalid"


def test_unknown_filter_value_gives_no_hits(catalogue):
    assert service_search(query="ภาษี", filters=SearchFilters(category="no-such-category")).total == 0
