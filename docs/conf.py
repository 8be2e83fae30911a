"""Sphinx configuration for the claimrecon documentation.

The build works offline: intersphinx reads a Python inventory kept in the repository
(``docs/_inventories/python.inv``, from Debian's ``python3.11-doc`` package). Set
``CLAIMRECON_DOCS_ONLINE=1`` to fetch the current inventories of Python and of the
third-party libraries instead.

Build as CI does::

    sphinx-build -n -T -W --keep-going -b html docs docs/_build/html
    sphinx-build -n -T -W -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import doctest
import importlib.metadata
import os
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# -- Project ------------------------------------------------------------------------

project = "claimrecon"
author = "claimrecon developers"
copyright = "2025, claimrecon developers"
release = importlib.metadata.version("claimrecon")
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "_inventories", "Thumbs.db", ".DS_Store"]
nitpicky = True
default_role = "py:obj"
primary_domain = "py"

# -- autodoc ------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_typehints_format = "short"
autodoc_default_options = {
    "exclude-members": "__init__, __new__, __weakref__, __attrs_attrs__",
}

# -- Cross-references ---------------------------------------------------------------

ONLINE = os.environ.get("CLAIMRECON_DOCS_ONLINE", "") == "1"

intersphinx_mapping: dict[str, tuple[str, str | None]]
if ONLINE:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "pluggy": ("https://pluggy.readthedocs.io/en/stable", None),
        "attrs": ("https://www.attrs.org/en/stable", None),
        "hypothesis": ("https://hypothesis.readthedocs.io/en/latest", None),
    }
else:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3.11", str(HERE / "_inventories" / "python.inv")),
    }
intersphinx_timeout = 10

# Third-party names without a local inventory (numpy, pandas, pluggy, attrs, ...), by
# their import names and the usual aliases. Only other projects' names belong here: a
# claimrecon name that does not resolve is a documentation bug to fix, not to hide.
_THIRD_PARTY = [
    *("numpy", "np", "npt", "pandas", "pd", "pyarrow", "pa", "matplotlib"),
    *("pluggy", "attrs", "attr", "click", "hypothesis", "st", "pint", "rich", "dask", "dd"),
]
nitpick_ignore_regex = [("py:.*", rf"({'|'.join(_THIRD_PARTY)})\..+")]

# -- Doctest ------------------------------------------------------------------------

# Only ".. doctest::" blocks run here; the ">>>" examples in docstrings run under
# pytest (tests/test_docs.py, one test per module). Each page imports what it uses, as
# a reader would.
doctest_test_doctest_blocks = ""
doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
)

# -- Resolving claimrecon's own names -------------------------------------------------
#
# Public names live in private modules (claimrecon._model.Claim) and are documented
# under their public path (claimrecon.Claim). Type hints and docstrings often name them
# by the private path, or bare (annotations under TYPE_CHECKING stay strings). This
# resolves such a reference to the public entry if, and only if, that entry exists:
# an undocumented name still fails the build.


def _public_candidates(target: str) -> list[str]:
    import claimrecon

    parts = target.split(".")
    if parts[0] == "claimrecon":
        kept = [p for p in parts[1:] if not (p.startswith("_") and not p.startswith("__"))]
        if len(kept) < len(parts) - 1 and kept:
            return ["claimrecon." + ".".join(kept)]
        return []
    if hasattr(claimrecon, parts[0]):
        return ["claimrecon." + target]
    return []


def _resolve_public(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    for candidate in _public_candidates(node["reftarget"]):
        found = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
        )
        if found is not None:
            return found
    return None


# Two kinds of docstring fields describe attributes rather than arguments; they become
# attribute entries, so that :attr:`Class.name` has a target:
# - ":ivar name: text" (plain classes, errors);
# - ":param name: text" of an attrs class, where the name is a field: the constructor
#   takes the fields by keyword, and each is an attribute of the instance. The entry
#   gets the field's type.
_FIELD = re.compile(r"^(\s*):(ivar|param) (?:[^:]+ )?(\w+):\s*(.*)$")


def _field_types(obj: object) -> dict[str, str]:
    import typing

    import attrs
    from sphinx.util.typing import stringify_annotation

    if not (isinstance(obj, type) and attrs.has(obj)):
        return {}
    try:
        hints = typing.get_type_hints(obj)
    except Exception:
        hints = {}
    return {
        f.name: stringify_annotation(hints[f.name], "smart") if f.name in hints else ""
        for f in attrs.fields(obj)
    }


def _fields_to_attributes(
    app: Any, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    if what not in ("class", "exception"):
        return
    fields = _field_types(obj)
    out: list[str] = []
    attributes: list[list[str]] = []
    i = 0
    while i < len(lines):
        m = _FIELD.match(lines[i])
        if not m or (m.group(2) == "param" and m.group(3) not in fields):
            out.append(lines[i])
            i += 1
            continue
        indent, attr, text = len(m.group(1)), m.group(3), m.group(4)
        entry = [f".. py:attribute:: {attr}"]
        if fields.get(attr):
            entry.append(f"   :type: {fields[attr]}")
        entry += ["", "   " + text]
        i += 1
        while (
            i < len(lines)
            and lines[i].strip()
            and (len(lines[i]) - len(lines[i].lstrip()) > indent)
        ):
            entry.append("   " + lines[i].strip())
            i += 1
        attributes.append(entry)
    if attributes:
        while out and not out[-1].strip():
            out.pop()
        for entry in attributes:
            out.extend(["", *entry])
        out.append("")
        lines[:] = out


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_public)
    app.connect("autodoc-process-docstring", _fields_to_attributes)


# -- HTML ---------------------------------------------------------------------------

html_theme = "furo"
html_title = f"claimrecon {release}"
html_static_path: list[str] = []
