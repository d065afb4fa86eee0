"""The search API, the synonym API (operators only) and the search page: one search code behind all three."""

import pytest
from django.test import Client

from borikan.agencies.models import Agency, StaffRole
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.catalog.models import SearchSynonym
from borikan.catalog.search import state
from borikan.conftest import TWO_FACTORS, make_staff, make_user, signed_in
from borikan.identity.models import User

CATALOGUE = read_catalogue_file(DEFAULT_CATALOGUE)
SEARCH = "/api/v1/services/search"
SYNONYMS = "/api/v1/services/search/synonyms"


@pytest.fixture(autouse=True)
def fresh_index():
    state.reset()
    yield
    state.reset()


@pytest.fixture
def catalogue(db):
    assert load_catalogue(data=CATALOGUE).ok


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops@borikan.go.th", "correct-horse-battery-staple", is_staff=True)
    return signed_in(user, *TWO_FACTORS)  # operators work at AAL 2


def test_search_api_answers_hits_with_score_highlight_facets(catalogue):
    response = Client().get(SEARCH, {"q": "ทำพาสปอร์ต"})
    assert response.status_code == 200
    body = response.json()
    first = body["hits"][0]
    assert first["service"]["slug"] == "passport-adult"
    assert first["score"] > 0
    name = next(h for h in first["highlights"] if h["field"] == "name_th")
    assert [name["text"][s:e] for s, e in name["spans"]] == ["หนังสือเดินทาง"]
    assert set(body["facets"]) == {"category", "agency", "life_event", "transaction_type", "channel", "fee"}
    assert body["facets"]["category"][0] == {"value": "travel-immigration", "count": 2}
    assert sum(f["count"] for f in body["facets"]["category"]) == body["total"]


def test_search_api_filters_by_facet(catalogue):
    body = Client().get(SEARCH, {"q": "ใบอนุญาต", "fee": "free", "limit": 100}).json()
    assert body["total"] == len(body["hits"]) > 0
    assert all(not hit["service"]["fee_satang"] for hit in body["hits"])


def test_search_api_refuses_a_10kb_query_with_422(catalogue):
    response = Client().get(SEARCH, {"q": "ก" * 10_240})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"  # the schema's maxLength, stated in the OpenAPI document
    assert "q" in response.json()["errors"]
    assert response["Content-Type"] == "application/problem+json"


def test_search_api_refuses_a_bad_fee_filter(catalogue):
    response = Client().get(SEARCH, {"q": "ภาษี", "fee": "cheap"})
    assert response.status_code == 422
    assert response.json()["code"] == "filter_invalid"


def test_search_api_refuses_control_characters_with_a_problem(catalogue):
    response = Client().get(SEARCH + "?q=%00%01%FF%FE")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"


def test_search_api_answers_suggestions_when_nothing_matches(catalogue):
    body = Client().get(SEARCH, {"q": "พาสสสปอร์"}).json()
    assert body["total"] == 0
    assert any("พาสปอร์ต" in phrase for phrase in body["suggestions"])


def test_service_list_keeps_working_and_ranks(catalogue):
    response = Client().get("/api/v1/services", {"q": "ทำพาสปอร์ต"})
    assert response.status_code == 200
    assert response.json()[0]["slug"] == "passport-adult"
    assert len(Client().get("/api/v1/services", {"limit": 1}).json()) == 1


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("citizen", 403), ("operator", 200)])
def test_synonym_list_is_for_operators_only(catalogue, api_as, operator, who, status):
    client = {"anonymous": Client(), "citizen": None, "operator": None}[who]
    if who == "citizen":
        client = api_as(make_user("citizen@example.com"))
    elif who == "operator":
        client = api_as(operator)
    response = client.get(SYNONYMS)
    assert response.status_code == status
    if status == 200:
        assert len(response.json()) == SearchSynonym.objects.count() > 50


def test_agency_staff_who_are_not_operators_cannot_add_synonyms(catalogue, api_as):
    officer = make_staff("admin@dbd.go.th", Agency.objects.get(code="DBD"), StaffRole.AGENCY_ADMIN)
    before = SearchSynonym.objects.count()
    response = api_as(officer).post(SYNONYMS, {"terms": ["a1", "b2"]}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "operator_only"
    assert SearchSynonym.objects.count() == before


def test_operator_adds_and_removes_a_synonym_and_search_follows(catalogue, api_as, operator):
    client = api_as(operator)
    assert "food-shop-licence" not in [
        h["service"]["slug"] for h in client.get(SEARCH, {"q": "หมูกระทะ"}).json()["hits"]
    ]
    created = client.post(SYNONYMS, {"terms": ["หมูกระทะ", "ร้านอาหาร"]}, content_type="application/json")
    assert created.status_code == 201
    synonym_id = created.json()["id"]
    hits = [h["service"]["slug"] for h in Client().get(SEARCH, {"q": "หมูกระทะ"}).json()["hits"]]
    assert set(hits[:2]) == {"food-shop-licence", "food-shop-notification"}
    assert client.delete(f"{SYNONYMS}/{synonym_id}").status_code == 204
    assert client.delete(f"{SYNONYMS}/{synonym_id}").status_code == 404
    hits = [h["service"]["slug"] for h in Client().get(SEARCH, {"q": "หมูกระทะ"}).json()["hits"]]
    assert "food-shop-licence" not in hits


def test_a_synonym_with_one_term_is_refused(catalogue, api_as, operator):
    response = api_as(operator).post(SYNONYMS, {"terms": ["เดี่ยว"]}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "synonym_terms_count"


def test_search_page_shows_ranked_hits_with_marks_and_facets(catalogue):
    response = Client().get("/", {"q": "ทำพาสปอร์ต"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("passport-adult") < html.index("passport-minor")
    assert "<mark>ทำพาสปอร์ต</mark>" in html
    assert "category=travel-immigration" in html


def test_search_page_escapes_what_was_typed(catalogue):
    html = Client().get("/", {"q": "<script>alert(1)</script> พาสปอร์ต"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_search_page_refuses_a_huge_query_with_a_message(catalogue):
    response = Client().get("/", {"q": "x" * 10_240})
    assert response.status_code == 422
    assert "200" in response.content.decode()


def test_search_page_filters_by_facet_link(catalogue):
    html = Client().get("/", {"q": "ใบอนุญาต", "category": "health-food"}).content.decode()
    assert "food-shop-licence" in html
    assert "liquor-sale-licence" not in html


@pytest.mark.django_db
def test_search_page_names_facet_values_in_thai():
    from django.test import Client

    from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file

    assert load_catalogue(data=read_catalogue_file(DEFAULT_CATALOGUE)).ok
    page = Client().get("/", {"q": "ใบขับขี่"}).text
    assert "การคมนาคมและยานพาหนะ" in page  # category transport
    assert "category=transport" in page  # the code stays in the link


def test_search_page_speaks_to_people_not_of_the_engine(catalogue):
    """Issue 12: the page showed its synonym machinery ("สุรา = liquor") to citizens."""
    html = Client().get("/", {"q": "พาสปอด"}).content.decode()
    assert " = " not in html and "Matched through" not in html and " → " not in html
    assert "พาสปอร์ต" in html  # the corrected spelling, said in words


def test_search_page_says_a_correction_in_thai_and_asks_did_you_mean_when_nothing_matches(catalogue):
    html = Client().get("/", {"q": "พาสปอด"}).content.decode()
    assert "แสดงผลการค้นหาสำหรับ <strong>พาสปอร์ต</strong> แทน" in html
    response = Client().get("/", {"q": "ห้องสมุดประชาชน"})
    result = response.context["result"]
    if not result.hits and result.suggestions:
        html = response.content.decode()
        assert "หมายถึง <a" in html and "ใช่ไหม" in html


def test_search_page_groups_hits_by_life_event_in_words_best_first(catalogue):
    response = Client().get("/", {"q": "ใบขับขี่"})
    groups = response.context["groups"]
    hits = response.context["result"].hits
    assert len(groups) >= 2 and all(group.name for group in groups)
    assert groups[0].hits[0] is hits[0]  # the best result stays first
    html = response.content.decode()
    assert '<h2 class="govuk-heading-m">มีรถ</h2>' in html or '<h2 class="govuk-heading-m">หัดขับรถ</h2>' in html
    assert "owning-a-vehicle</h2>" not in html and "owning a vehicle" not in html
