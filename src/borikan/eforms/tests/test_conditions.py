"""Conditional fields and repeatable groups, validated on the server."""

from __future__ import annotations

import pytest

from borikan.eforms.definition import combine
from borikan.eforms.formdata import form_errors, validate_form_data

from .helpers import ADDRESS, good_data, rich_definition


@pytest.fixture
def definition():
    return combine(*rich_definition())


def test_a_hidden_field_is_not_required_and_its_value_is_dropped(definition):
    data = {**good_data(), "kind": "shop", "other_kind": "ร้านกาแฟ"}
    validate_form_data(definition, data)
    assert "other_kind" not in data


def test_a_shown_field_is_required(definition):
    data = {**good_data(), "kind": "other"}
    errors = form_errors(definition, data)
    assert errors == {"other_kind": {"th": "กรุณากรอกระบุประเภทอื่น", "en": "Other kind is required"}}
    data["other_kind"] = "ร้านกาแฟ"
    validate_form_data(definition, data)
    assert data["other_kind"] == "ร้านกาแฟ"


def test_a_group_is_hidden_until_its_checkbox_is_ticked(definition):
    data = {**good_data(), "branches": [{"branch_name": "x"}]}
    validate_form_data(definition, data)
    assert "branches" not in data  # has_branches not ticked: the group is hidden and dropped


def test_group_items_are_validated_one_by_one(definition):
    branch = {"branch_name": "สาขาหนึ่ง", "branch_phone": "0812345678", "branch_address": dict(ADDRESS)}
    bad = {"branch_phone": "123", "branch_address": {**ADDRESS, "postcode": "50200"}}
    data = {**good_data(), "has_branches": True, "branches": [branch, bad]}
    errors = form_errors(definition, data)
    assert set(errors) == {"branches.1.branch_name", "branches.1.branch_phone", "branches.1.branch_address"}
    assert errors["branches.1.branch_name"]["en"] == "Branch name is required"
    assert "10-digit mobile" in errors["branches.1.branch_phone"]["en"]
    assert "postcode" in errors["branches.1.branch_address"]["en"]


def test_group_item_counts(definition):
    branch = {"branch_name": "สาขา", "branch_address": dict(ADDRESS)}
    errors = form_errors(definition, {**good_data(), "has_branches": True, "branches": [branch] * 4})
    assert errors["branches"] == {"th": "สาขาต้องมี 1 ถึง 3 รายการ", "en": "Branches must have 1 to 3 entries"}
    errors = form_errors(definition, {**good_data(), "has_branches": True, "branches": []})
    assert "branches" in errors


def test_a_draft_checks_only_what_is_filled(definition):
    assert form_errors(definition, {"full_name": "ส"}, partial=True) == {}
    errors = form_errors(definition, {"phone": "12", "kind": "other"}, partial=True)
    assert set(errors) == {"phone"}


def test_a_condition_inside_a_group_names_a_sibling_or_a_form_field():
    from borikan.eforms import builder
    from borikan.eforms.definition import definition_problems

    schema, ui = rich_definition()
    schema, ui = builder.field_update(
        schema, ui, name="branches.branch_phone", values={"show_if_field": "branch_name", "show_if_value": ""}
    )
    assert definition_problems(schema, ui) == []
    data = {
        **good_data(),
        "has_branches": True,
        "branches": [{"branch_phone": "0812345678", "branch_address": ADDRESS}],
    }
    errors = form_errors(combine(schema, ui), data)
    assert "branch_phone" not in data["branches"][0]  # hidden (no branch name): dropped
    assert set(errors) == {"branches.0.branch_name"}
    schema, ui = builder.field_update(
        schema, ui, name="branches.branch_phone", values={"show_if_field": "nothing", "show_if_value": "x"}
    )
    assert any("branches.branch_phone" in en for _, en in definition_problems(schema, ui))
