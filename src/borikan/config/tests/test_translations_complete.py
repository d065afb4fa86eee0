"""Every string the code and templates mark for translation has a Thai translation in the repository.

Django's makemessages runs over a copy of the source tree (the real catalogues are hand-kept and never
regenerated in place), which lists every msgid the code uses today; msgmerge then fills them from the
repository's catalogues without fuzzy matching, and whatever is left untranslated is reported. A string
added in English without its Thai counterpart fails here instead of reaching a Thai page in English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2]  # src/borikan

pytestmark = pytest.mark.skipif(shutil.which("msgmerge") is None, reason="needs GNU gettext (apt-get install gettext)")


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(cwd.parent) if cwd else os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_marked_string_has_a_thai_translation(tmp_path):
    copy = tmp_path / "borikan"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    for catalogue in copy.rglob("django.po"):
        catalogue.unlink()  # start empty: makemessages lists what the code uses, not what a catalogue holds
    _run(sys.executable, "-m", "django", "makemessages", "-l", "th", "-v", "0", cwd=copy)
    used = sorted(copy.rglob("locale/th/LC_MESSAGES/django.po"))
    assert used, "makemessages found nothing"
    wanted = tmp_path / "wanted.pot"
    _run("msgcat", "--use-first", "-o", wanted, *used)
    kept = tmp_path / "kept.po"
    _run("msgcat", "--use-first", "-o", kept, *sorted(SOURCE.rglob("locale/th/LC_MESSAGES/django.po")))
    merged = tmp_path / "merged.po"
    _run("msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged, kept, wanted)
    missing = _run("msgattrib", "--untranslated", "--no-obsolete", merged)
    msgids = [m for m in re.findall(r'^msgid "(.*)"$', missing, re.M) if m]
    assert not msgids, f"{len(msgids)} strings have no Thai translation:\n" + "\n".join(msgids[:80])
