"""The documentation keeps up with the code: every public name, every hook and every
built-in strategy is documented, and every hook is exercised by a test."""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import claimrecon as cr
from claimrecon import hookspecs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
TESTS = ROOT / "tests"

# ".. autoclass:: claimrecon.Quantity", ".. py:data:: hookimpl" (with ":module:"), ...
_DIRECTIVE = re.compile(
    r"^\.\.\s+(?:py:)?(?P<kind>auto\w+|function|class|exception|data|attribute|method)::"
    r"\s+(?P<target>[\w.]+)"
)
_CURRENTMODULE = re.compile(r"^\.\.\s+(?:py:)?currentmodule::\s+(?P<module>[\w.]+)")
_MODULE_OPTION = re.compile(r"^\s+:module:\s+(?P<module>[\w.]+)")


def documented_names(path: Path) -> set[str]:
    """The fully qualified names that the directives of a reST file document."""
    names: set[str] = set()
    current: str | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if m := _CURRENTMODULE.match(line):
            current = None if m["module"] == "None" else m["module"]
            continue
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        target, module = m["target"], current
        for option in lines[i + 1 :]:
            if not option.strip().startswith(":"):
                break
            if mo := _MODULE_OPTION.match(option):
                module = mo["module"]
        if module and not target.startswith(module + ".") and target != module:
            target = f"{module}.{target}"
        names.add(target)
    return names


def reference_names() -> set[str]:
    return set().union(*(documented_names(p) for p in REFERENCE.glob("*.rst")))


def public_names() -> list[str]:
    names = getattr(cr, "__all__", None)
    if names is None:  # until __all__ exists, every public attribute but modules
        names = [
            n for n in dir(cr) if not n.startswith("_") and not inspect.ismodule(getattr(cr, n))
        ]
    return sorted(names)


def hook_names() -> list[str]:
    return sorted(
        name
        for name, obj in vars(hookspecs).items()
        if name.startswith("claimrecon_") and inspect.isfunction(obj)
    )


def test_the_reference_pages_exist() -> None:
    for page in ("api", "hooks", "testing", "cli"):
        assert (REFERENCE / f"{page}.rst").is_file(), f"docs/reference/{page}.rst is missing"


@pytest.mark.parametrize("name", public_names())
def test_every_public_name_is_in_the_api_reference(name: str) -> None:
    assert f"claimrecon.{name}" in reference_names(), (
        f"claimrecon.{name} is public but no directive in docs/reference/*.rst documents "
        f"it; add e.g. '.. autoclass:: claimrecon.{name}' to docs/reference/api.rst"
    )


def _automodule_options(text: str, module: str) -> Iterator[list[str]]:
    """The option lines of each ``automodule`` directive for ``module``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^\.\.\s+automodule::\s+{re.escape(module)}\s*$", line):
            options = []
            for option in lines[i + 1 :]:
                if not option.strip().startswith(":"):
                    break
                options.append(option.strip())
            yield options


def hook_is_documented(hook: str) -> bool:
    text = (REFERENCE / "hooks.rst").read_text(encoding="utf-8")
    if f"claimrecon.hookspecs.{hook}" in documented_names(REFERENCE / "hooks.rst"):
        return True
    # An automodule with :members: documents every hook that has a docstring, unless
    # the hook is excluded.
    for options in _automodule_options(text, "claimrecon.hookspecs"):
        members = [o for o in options if o.startswith(":members:")]
        excluded = [o for o in options if o.startswith(":exclude-members:")]
        listed = members[0].removeprefix(":members:").strip() if members else ""
        if not members or (listed and hook not in re.split(r"[\s,]+", listed)):
            continue
        if any(hook in re.split(r"[\s,]+", o.removeprefix(":exclude-members:")) for o in excluded):
            continue
        return bool(inspect.getdoc(getattr(hookspecs, hook)))
    return False


def test_the_hookspecs_module_defines_hooks() -> None:
    assert hook_names(), "claimrecon.hookspecs defines no claimrecon_* hook"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_in_the_hook_reference(hook: str) -> None:
    assert hook_is_documented(hook), (
        f"hook {hook} is not documented in docs/reference/hooks.rst (an automodule of "
        "claimrecon.hookspecs with :members: documents it if it has a docstring)"
    )


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_exercised_by_a_test(hook: str) -> None:
    here = Path(__file__).resolve()
    users = [
        p
        for p in TESTS.rglob("test_*.py")
        if p.resolve() != here and re.search(rf"\b{hook}\b", p.read_text(encoding="utf-8"))
    ]
    assert users, f"no test under tests/ implements or calls the hook {hook}"


def builtin_strategy_names() -> list[str] | None:
    """The names of the strategies of a fresh manager without entry points (the
    built-ins), or None while the library has no way to list strategies."""
    list_strategies = getattr(cr, "list_strategies", None)
    if list_strategies is None:
        return None
    key = "CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD"
    old = os.environ.get(key)
    os.environ[key] = "1"
    try:
        pm = cr.make_plugin_manager()
    finally:
        if old is None:
            del os.environ[key]
        else:
            os.environ[key] = old
    return sorted({info.name for info in list_strategies(plugin_manager=pm)})


def test_there_are_built_in_strategies() -> None:
    names = builtin_strategy_names()
    if names is None:
        pytest.skip("claimrecon.list_strategies does not exist yet")
    assert names, "a fresh plugin manager provides no strategy"


@pytest.mark.parametrize("name", builtin_strategy_names() or [])
def test_every_built_in_strategy_has_a_section_in_the_strategies_page(name: str) -> None:
    text = (DOCS / "explanation" / "strategies.rst").read_text(encoding="utf-8")
    title = f"``{name}``"
    section = re.compile(rf"^{re.escape(title)}\n[-=~^\"'`#*+]{{{len(title)},}}$", re.M)
    assert section.search(text), (
        f"the built-in strategy {name!r} has no section titled {title} in "
        "docs/explanation/strategies.rst"
    )


def test_every_api_entry_says_which_version_added_it() -> None:
    """Each autodoc or data entry of the API reference carries a versionadded note."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "api.rst").read_text(
        encoding="utf-8")
    blocks = re.split(r"\n(?=\.\. (?:autoclass|autofunction|autoexception|automodule|py:data)::)",
                      text)[1:]
    assert blocks
    missing = [b.splitlines()[0] for b in blocks if ".. versionadded::" not in b]
    assert not missing, missing


_MODULES = sorted(m.name for m in pkgutil.walk_packages(cr.__path__, "claimrecon."))


@pytest.mark.parametrize("module", _MODULES)
def test_the_examples_in_each_modules_docstrings_run(module: str) -> None:
    # pytest's --doctest-modules reads tests/ only: the library's own ">>>" examples,
    # which the API reference shows, run here, against the installed package.
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:  # a module of an extra that is not installed
        pytest.skip(f"{module} needs {exc.name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {module} failed"
