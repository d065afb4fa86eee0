"""Every string, integer and list the API accepts is bounded, and every operation documents its problem answers.

Walks the OpenAPI document, so a new endpoint or field without a limit fails here (see borikan.core.fields).
"""

from typing import Any

import pytest

from borikan.config.api import PROBLEM_RESPONSES, api

UNBOUNDED_STRING_FORMATS = {"uuid", "date", "date-time", "binary"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def _unbounded(node: dict, where: str, components: dict, found: list[str]) -> None:
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            _unbounded(sub, where, components, found)
    kind = node.get("type")
    if kind == "string" and not (
        "maxLength" in node or "enum" in node or "const" in node or node.get("format") in UNBOUNDED_STRING_FORMATS
    ):
        found.append(f"{where}: string without maxLength")
    elif kind == "integer" and not (
        {"maximum", "exclusiveMaximum"} & node.keys() and {"minimum", "exclusiveMinimum"} & node.keys()
    ):
        found.append(f"{where}: integer without minimum and maximum")
    elif kind == "array":
        if "maxItems" not in node:
            found.append(f"{where}: array without maxItems")
        _unbounded(node.get("items", {}), f"{where}[]", components, found)
    elif kind == "object":
        for name, prop in node.get("properties", {}).items():
            _unbounded(prop, f"{where}.{name}", components, found)
        if isinstance(node.get("additionalProperties"), dict):
            _unbounded(node["additionalProperties"], f"{where}.*", components, found)


def _operations(openapi: dict):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_input_is_bounded(openapi):
    components = openapi["components"]["schemas"]
    found: list[str] = []
    for name, operation in _operations(openapi):
        for parameter in operation.get("parameters", []):
            _unbounded(parameter["schema"], f"{name} {parameter['name']}", components, found)
        for content in operation.get("requestBody", {}).get("content", {}).values():
            _unbounded(content["schema"], f"{name} body", components, found)
    assert not found, "\n".join(found)


def test_the_walk_catches_an_unbounded_field():
    found: list[str] = []
    _unbounded({"type": "object", "properties": {"a": {"type": "string"}, "n": {"type": "integer"}}}, "x", {}, found)
    assert found == ["x.a: string without maxLength", "x.n: integer without minimum and maximum"]


def test_every_operation_documents_its_problem_responses(openapi):
    assert openapi["components"]["schemas"]["Problem"]["required"][:4] == ["type", "title", "status", "code"]
    for name, operation in _operations(openapi):
        for status in PROBLEM_RESPONSES:
            content = operation["responses"][status]["content"]["application/problem+json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, name
