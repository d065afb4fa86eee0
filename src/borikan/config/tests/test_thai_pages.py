"""Every page a person can open, rendered in Thai: no raw keys (snake_case tokens) and no untranslated English
in the text people read. Pages come from the URL conf; each is opened by the actors the authorisation sweep's
world holds (the owner, and the agency's staff in each role), so the pages show real cases, invoices and
documents rather than empty states."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borikan.core.tests.pagetext import EMAIL, GREGORIAN_YEAR, SENTENCE, SNAKE, WORD, visible_text

from . import sweep_world as sw
from .sweep_world import MISSING_ID, ROLES, Actor


def stored_codes() -> set[str]:
    """The values models store for their choices (statuses, channels, kinds): shown as such, they are raw keys."""
    from django.apps import apps

    codes = set()
    for model in apps.get_models():
        if not model.__module__.startswith("borikan."):
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and value.isascii() and value.islower():
                    codes.add(value)
    return codes


@pytest.mark.django_db
def test_every_page_in_thai_shows_no_raw_keys(settings, tmp_path):
    world = sw.build_world(settings, tmp_path)
    actors = [Actor("owner", world.owner)]
    actors += [Actor(role, sw.staff(f"{role}@excise.go.th", world.agency, (role,))) for role in ROLES]
    codes = stored_codes()
    found: dict[str, set[str]] = {}
    for name, pattern in sw.named_pages():
        if name.startswith("bench"):
            continue
        url = reverse(name, kwargs={k: world.kwargs().get(k, MISSING_ID) for k in pattern.pattern.converters})
        for actor in actors:
            client = actor.page_client()
            client.cookies["django_language"] = "th"
            response = client.get(url, follow=True)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            text = EMAIL.sub(" ", visible_text(response.content.decode()))  # addresses are shown as they are
            tokens = set(SNAKE.findall(text)) | (set(WORD.findall(text)) & codes) | set(SENTENCE.findall(text))
            tokens |= {f"year {year}" for year in GREGORIAN_YEAR.findall(text)}
            if 'type="date"' in response.content.decode():
                tokens.add("a browser date input (it shows Gregorian years)")
            if tokens:
                found.setdefault(f"{name} ({actor.name})", set()).update(tokens)
    report = "\n".join(f"{page}: {sorted(tokens)}" for page, tokens in sorted(found.items()))
    assert not found, report
