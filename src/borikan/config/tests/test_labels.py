"""Every stored code a page prints through a label tag has its Thai and English label: an action, a status or a
role missing from the tables shows up on a button or in a history as its raw code (it did: `approve_level`)."""

from __future__ import annotations

import pytest

from borikan.applications.workflow import Action, Role, Status
from borikan.core.templatetags import borikan as tags


@pytest.mark.parametrize(
    ("choices", "labels"),
    [(Action, tags.ACTION_LABELS), (Status, tags.STATUS_LABELS), (Role, tags.ROLE_LABELS)],
    ids=["actions", "statuses", "roles"],
)
def test_every_code_has_a_thai_and_an_english_label(choices, labels):
    missing = [code for code in choices.values if code not in labels]
    assert not missing, f"no label for {missing}"
    for code in choices.values:
        thai, english = labels[code]
        assert thai and english and thai != code and any("\u0e00" <= ch <= "\u0e7f" for ch in thai), code
