"""Install every plugin distribution under plugins/ and run its own tests.

Run by ``tox -e plugins``, in an environment where claimrecon (the built wheel) and
its ``testing`` extra are installed. Every ``plugins/*/pyproject.toml`` is a
distribution: all of them are installed together (with their ``test`` extra, if they
declare one), the way a user installs plugins side by side, so their entry points load
together; then each one's ``tests/`` run from its own directory, under its own pytest
settings. Arguments are passed on to pytest.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirement(dist: Path) -> str:
    project = tomllib.loads((dist / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    return f"{dist}[test]" if "test" in extras else str(dist)


def main(pytest_args: list[str]) -> int:
    dists = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
    if not dists:
        print("no plugin distribution found under plugins/*/pyproject.toml", flush=True)
        return 1
    print("installing:", ", ".join(d.name for d in dists), flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", *map(requirement, dists)],
        check=True,
    )
    results: list[tuple[str, str]] = []
    for dist in dists:
        print(f"\n==> {dist.name}: pytest tests", flush=True)
        if not (dist / "tests").is_dir():
            results.append((dist.name, "FAILED: no tests/ directory"))
            continue
        code = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", *pytest_args],
            cwd=dist,
        ).returncode
        results.append((dist.name, "passed" if code == 0 else f"FAILED (pytest exit {code})"))
    print("\nplugin distributions:", flush=True)
    for name, outcome in results:
        print(f"  {name}: {outcome}")
    return 0 if all(outcome == "passed" for _, outcome in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
