"""pip-audit over requirements.lock, in `make lint`.

Fails on any known vulnerability in a locked dependency. pip-audit asks the PyPI advisory database (the JSON
API of pypi.org) about each pinned release; where that database cannot be reached (a mirror without the JSON
API, no network), every dependency comes back "not audited": this says so plainly and passes, because the lint
must still run offline. Set BORIKAN_AUDIT_REQUIRED=1 (a release pipeline) to fail in that case instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def lock_in_step() -> list[str]:
    """Every requirement in pyproject.toml (runtime and dev) is satisfied by the locked version."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((LOCK.parent / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = {}
    for line in LOCK.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            locked[canonicalize_name(name)] = version
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        version = locked.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{text}: requirements.lock has {version or 'nothing'}")
    return problems


def main() -> int:
    if problems := lock_in_step():
        print("requirements.lock is behind pyproject.toml (see README: updating dependencies):", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--require-hashes", "--disable-pip", "-f", "json"]
    command += ["--progress-spinner", "off"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603 (fixed argv)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(f"pip-audit gave no report (exit {result.returncode}):\n{result.stderr[-2000:]}", file=sys.stderr)
        return 0 if not os.environ.get("BORIKAN_AUDIT_REQUIRED") else 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        return 1
    if not audited:
        print(
            f"pip-audit: the vulnerability database could not be reached; {len(dependencies)} locked "
            "dependencies NOT audited"
        )
        return 1 if os.environ.get("BORIKAN_AUDIT_REQUIRED") else 0
    print(
        f"pip-audit: {len(audited)} locked dependencies audited, no known vulnerability"
        + (
            f" ({len(dependencies) - len(audited)} not found in the database)"
            if len(audited) < len(dependencies)
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
