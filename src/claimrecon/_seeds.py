"""The bundled seed articles and their curated claims.

The seeds are five news articles about North Korea's deployment of troops to Russia and a
hand-curated ``claims.toml`` that records every figure they state: what it is about, who
made it, who carried it, when it holds, the sentence and the hedged phrase. In an installed
wheel they live in the package as ``claimrecon/_seeds/``; in a checkout (or an editable
install) they are the repository's ``seeds/`` folder.

Run ``python -m claimrecon._seeds --update-quantities`` in a checkout to rewrite the
``lower``/``value``/``upper`` lines of ``seeds/claims.toml`` from
:func:`claimrecon.parse_quantity`, or ``--check-quantities`` to only compare them.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.resources
import math
import re
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn, cast

from ._errors import ClaimFileError, ClaimreconError, describe
from ._model import Claim, Source
from ._quantity import Quantity

__all__ = [
    "CLAIMS_FILE",
    "load_seed_claims",
    "load_seed_documents",
    "load_seed_sources",
    "seed_path",
    "seed_variables",
]

#: The name of the curated claims file inside the seeds folder.
CLAIMS_FILE = "claims.toml"

_TOP_KEYS = frozenset({"variables", "sources", "documents", "claims"})
_VARIABLE_KEYS = frozenset({"description", "unit"})
_SOURCE_KEYS = frozenset({"name", "kind", "reliability", "note"})
_DOCUMENT_KEYS = frozenset(
    {"outlet", "headline", "published", "published_note", "credits", "note"}
)
_CLAIM_KEYS = frozenset(
    {
        "variable", "document", "source", "via", "as_of", "published", "quote", "phrase",
        "lower", "value", "upper", "unit", "confidence", "note",
    }
)
_NUMBER_KEYS = ("lower", "value", "upper")
_CLAIMS_HEADER = re.compile(r"^\s*\[\[\s*claims\s*\]\]\s*(#.*)?$")


def seed_path() -> Traversable:
    """The folder that holds the seed articles and ``claims.toml``.

    The copy packaged in the wheel (``claimrecon/_seeds``) comes first; in a checkout or
    an editable install, the repository's ``seeds/`` folder.

    :returns: the folder, as a :class:`~importlib.resources.abc.Traversable` (a
        :class:`pathlib.Path` in a checkout).
    :raises FileNotFoundError: neither folder exists.
    """
    packaged = importlib.resources.files("claimrecon") / "_seeds"
    if packaged.is_dir() and (packaged / CLAIMS_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "seeds"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "claimrecon's seed folder was not found: expected the packaged "
        f"{packaged} (in a wheel) or the repository's {checkout} (in a checkout)"
    )


def load_seed_claims() -> list[Claim]:
    """The curated claims of the bundled seed articles, in file order.

    One claim per statement of a figure in one document: a figure that two articles
    repeat is two claims, which :func:`~claimrecon.reconcile` counts once (same variable,
    source, quantity and ``as_of``).

    >>> claims = load_seed_claims()
    >>> sorted({c.source.id for c in claims if c.phrase == "around 14,000"})
    ['sk-nis', 'ua-officials']

    :returns: a new list of :class:`~claimrecon.Claim` objects.
    :raises ClaimFileError: ``claims.toml`` is not valid; the error names the file, the
        entry (for example ``claims[3], line 120``) and the field.
    :raises FileNotFoundError: the seeds folder is missing.
    """
    return _read(seed_path() / CLAIMS_FILE).claims


def load_seed_sources() -> dict[str, Source]:
    """The origins of the seed claims, by source id, in file order.

    :returns: a new dict from source id to :class:`~claimrecon.Source`.
    :raises ClaimFileError: ``claims.toml`` is not valid.
    :raises FileNotFoundError: the seeds folder is missing.
    """
    return dict(_read(seed_path() / CLAIMS_FILE).sources)


def seed_variables() -> dict[str, str]:
    """What each variable of the seed claims measures, one sentence each, unit included.

    :returns: a new dict from variable id to its description, in file order.
    :raises ClaimFileError: ``claims.toml`` is not valid.
    :raises FileNotFoundError: the seeds folder is missing.
    """
    return dict(_read(seed_path() / CLAIMS_FILE).variables)


def load_seed_documents() -> dict[str, str]:
    """The text of each seed article, by file name, in the order of ``claims.toml``.

    :returns: a new dict from document file name (the claims' ``document``) to its text,
        decoded as UTF-8 and otherwise unchanged, so every claim's ``quote`` is a
        substring of its document.
    :raises ClaimFileError: ``claims.toml`` is not valid.
    :raises FileNotFoundError: the seeds folder, or a document it lists, is missing.
    """
    folder = seed_path()
    names = _read(folder / CLAIMS_FILE).documents
    return {name: (folder / name).read_bytes().decode("utf-8") for name in names}


# --- reading claims.toml ------------------------------------------------------------------


class _Seeds:
    """What ``claims.toml`` holds, checked."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.sources: dict[str, Source] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.claims: list[Claim] = []


class _Problems:
    """Collects every problem of a file, then raises one :class:`ClaimFileError`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[tuple[str | None, str | None, str]] = []

    def add(self, location: str | None, column: str | None, message: str) -> None:
        self.found.append((location, column, message))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        location, column, message = self.found[0]
        err = ClaimFileError(
            message, path=self.path, location=location, column=column, problems=self.found
        )
        for more in self.found[1:]:
            err.add_note(ClaimFileError.format(self.path, *more))
        raise err

    def fail(self, message: str) -> NoReturn:
        raise ClaimFileError(message, path=self.path)


def _read(file: Traversable | Path) -> _Seeds:
    """Read and check a claims file (``claims.toml`` or one of its shape)."""
    path = str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"the seed claims file {path} does not exist") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClaimFileError(f"not UTF-8 text ({exc})", path=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimFileError(f"not valid TOML: {exc}", path=path) from exc
    return _parse(data, path, _claim_lines(text))


def _claim_lines(text: str) -> list[int]:
    """The 1-based line of each ``[[claims]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _CLAIMS_HEADER.match(line)]


def _parse(data: Mapping[str, Any], path: str, claim_lines: Sequence[int] = ()) -> _Seeds:
    problems = _Problems(path)
    seeds = _Seeds()
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(key, None, f"unknown table {key!r}; expected {_listing(_TOP_KEYS)}")
    _parse_variables(_table(data, "variables", problems), seeds, problems)
    _parse_sources(_table(data, "sources", problems), seeds, problems)
    _parse_documents(_table(data, "documents", problems), seeds, problems)
    problems.raise_if_any()  # claims refer to the tables above

    entries = data.get("claims")
    if not isinstance(entries, list) or not entries:
        problems.fail(f"expected a non-empty [[claims]] array (got {describe(entries)})")
    for i, entry in enumerate(entries):
        where = f"claims[{i}]"
        if i < len(claim_lines):
            where += f", line {claim_lines[i]}"
        claim = _parse_claim(entry, where, seeds, problems)
        if claim is not None:
            seeds.claims.append(claim)
    problems.raise_if_any()
    return seeds


def _table(data: Mapping[str, Any], name: str, problems: _Problems) -> dict[str, Any]:
    table = data.get(name)
    if not isinstance(table, dict) or not table:
        problems.add(name, None, f"expected a non-empty [{name}] table (got {describe(table)})")
        return {}
    return table


def _unknown(
    entry: Mapping[str, Any], allowed: frozenset[str], where: str, problems: _Problems
) -> None:
    for key in entry:
        if key not in allowed:
            problems.add(where, key, f"unknown field; expected one of {_listing(allowed)}")


def _text(
    entry: Mapping[str, Any], key: str, where: str, problems: _Problems, *, required: bool
) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            problems.add(where, key, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(where, key, f"must be a non-empty string (got {describe(value)})")
        return None
    return value


def _date(
    entry: Mapping[str, Any], key: str, where: str, problems: _Problems, *, required: bool
) -> datetime.date | None:
    value = entry.get(key)
    if value is None:
        if required:
            problems.add(where, key, "is required")
        return None
    if isinstance(value, datetime.date):  # a TOML date or date-time
        return value
    problems.add(
        where, key, f"must be a TOML date such as 2025-04-28, unquoted (got {describe(value)})"
    )
    return None


def _number(entry: Mapping[str, Any], key: str, where: str, problems: _Problems) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, key, f"must be a number (got {describe(value)})")
        return None
    if not math.isfinite(value):
        problems.add(where, key, f"must be a finite number (got {value}); leave a bound out "
                     "for unbounded")
        return None
    return float(value)


def _strings(
    entry: Mapping[str, Any], key: str, where: str, problems: _Problems
) -> list[str] | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(where, key, f"must be a list of non-empty strings (got {describe(value)})")
        return None
    return list(value)


def _parse_variables(table: Mapping[str, Any], seeds: _Seeds, problems: _Problems) -> None:
    for name, entry in table.items():
        where = f"variables.{name}"
        if not isinstance(entry, dict):
            problems.add(where, None, f"must be a table (got {describe(entry)})")
            continue
        _unknown(entry, _VARIABLE_KEYS, where, problems)
        description = _text(entry, "description", where, problems, required=True)
        unit = _text(entry, "unit", where, problems, required=False)
        if description is not None:
            seeds.variables[name] = description
        if unit is not None:
            seeds.units[name] = unit


def _parse_sources(table: Mapping[str, Any], seeds: _Seeds, problems: _Problems) -> None:
    for source_id, entry in table.items():
        where = f"sources.{source_id}"
        if not isinstance(entry, dict):
            problems.add(where, None, f"must be a table (got {describe(entry)})")
            continue
        _unknown(entry, _SOURCE_KEYS, where, problems)
        name = _text(entry, "name", where, problems, required=True)
        kind = _text(entry, "kind", where, problems, required=True)
        _text(entry, "note", where, problems, required=False)
        reliability = entry.get("reliability", 1.0)
        try:
            seeds.sources[source_id] = Source(
                id=source_id, name=name, kind=kind, reliability=reliability
            )
        except ClaimreconError as exc:
            problems.add(where, "reliability", str(exc))


def _parse_documents(table: Mapping[str, Any], seeds: _Seeds, problems: _Problems) -> None:
    for name, entry in table.items():
        where = f"documents.{name}"
        if not isinstance(entry, dict):
            problems.add(where, None, f"must be a table (got {describe(entry)})")
            continue
        _unknown(entry, _DOCUMENT_KEYS, where, problems)
        outlet = _text(entry, "outlet", where, problems, required=True)
        published = _date(entry, "published", where, problems, required=True)
        for key in ("headline", "published_note", "note"):
            _text(entry, key, where, problems, required=False)
        credits = _strings(entry, "credits", where, problems) or []
        seeds.documents[name] = {
            "outlet": outlet,
            "published": published,
            "via": [v for v in [outlet, *credits] if v],
        }


def _parse_claim(
    entry: object, where: str, seeds: _Seeds, problems: _Problems
) -> Claim | None:
    if not isinstance(entry, dict):
        problems.add(where, None, f"must be a table (got {describe(entry)})")
        return None
    before = len(problems.found)
    _unknown(entry, _CLAIM_KEYS, where, problems)

    variable = _text(entry, "variable", where, problems, required=True)
    if variable is not None and variable not in seeds.variables:
        problems.add(where, "variable", f"{variable!r} is not described in [variables]")
    document = _text(entry, "document", where, problems, required=True)
    doc = seeds.documents.get(document or "")
    if document is not None and doc is None:
        problems.add(where, "document", f"{document!r} is not listed in [documents]")
    source_id = _text(entry, "source", where, problems, required=True)
    source = seeds.sources.get(source_id or "")
    if source_id is not None and source is None:
        problems.add(where, "source", f"{source_id!r} is not defined in [sources]")

    via = _strings(entry, "via", where, problems)
    as_of = _date(entry, "as_of", where, problems, required=False)
    published = _date(entry, "published", where, problems, required=False)
    quote = _text(entry, "quote", where, problems, required=False)
    phrase = _text(entry, "phrase", where, problems, required=False)
    _text(entry, "note", where, problems, required=False)
    numbers = {key: _number(entry, key, where, problems) for key in (*_NUMBER_KEYS, "confidence")}

    unit = _text(entry, "unit", where, problems, required=False)
    declared = seeds.units.get(variable or "")
    if unit is None:
        unit = declared
    elif declared is not None and unit != declared:
        problems.add(where, "unit", f"must be the unit of {variable!r}, {declared!r} "
                     f"(got {unit!r})")
    if len(problems.found) > before or variable is None or source is None or doc is None:
        return None
    try:
        quantity = Quantity(unit=unit, **numbers)
    except ClaimreconError as exc:
        problems.add(where, "lower, value, upper", str(exc))
        return None
    return Claim(
        variable=variable,
        quantity=quantity,
        source=source,
        as_of=as_of,
        published=published if published is not None else doc["published"],
        via=via if via is not None else doc["via"],
        document=document,
        quote=quote,
        phrase=phrase,
    )


def _listing(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))


# --- keeping the figures in step with parse_quantity ----------------------------------------


def _parser() -> Callable[[str], Quantity]:
    """``parse_quantity``, looked up at run time (the hedge module may be absent)."""
    parse: object = getattr(importlib.import_module("claimrecon"), "parse_quantity", None)
    if parse is None:
        parse = importlib.import_module("claimrecon._hedges").parse_quantity
    if not callable(parse):
        raise TypeError(f"claimrecon.parse_quantity is not callable (got {describe(parse)})")
    return cast("Callable[[str], Quantity]", parse)


def _format(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(x)


def _requantify(text: str, parse: Callable[[str], Quantity]) -> tuple[str, list[str]]:
    """Rewrite the ``lower``/``value``/``upper`` lines of every claim from its phrase.

    Everything else (comments, order, other fields) is kept. A phrase that does not
    parse keeps its lines and is reported.

    :returns: the new text and a list of problems, one line each.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    problems: list[str] = []
    index = -1
    i = 0
    number_line = re.compile(r"^\s*(lower|value|upper)\s*=")
    phrase_line = re.compile(r"^\s*phrase\s*=")
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not _CLAIMS_HEADER.match(line):
            continue
        index += 1
        # the entry runs to the next table header
        block: list[str] = []
        while i < len(lines) and not lines[i].lstrip().startswith("["):
            block.append(lines[i])
            i += 1
        at = next((k for k, b in enumerate(block) if phrase_line.match(b)), None)
        if at is None:
            problems.append(f"claims[{index}]: no phrase line")
            out.extend(block)
            continue
        phrase = tomllib.loads(block[at])["phrase"]
        try:
            q = parse(phrase)
        except Exception as exc:  # report, never bend the data
            problems.append(f"claims[{index}]: {phrase!r} does not parse: {exc}")
            out.extend(block)
            continue
        new = [f"{key} = {_format(x)}\n" for key in _NUMBER_KEYS
               if (x := getattr(q, key)) is not None]
        kept = [b for b in block if not number_line.match(b)]
        at = next(k for k, b in enumerate(kept) if phrase_line.match(b))
        out.extend(kept[: at + 1] + new + kept[at + 1:])
    return "".join(out), problems


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m claimrecon._seeds",
        description="Keep the figures of the seed claims in step with parse_quantity.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update-quantities", action="store_true",
                      help="rewrite lower/value/upper of every claim from its phrase")
    mode.add_argument("--check-quantities", action="store_true",
                      help="only report claims whose figures differ from their phrase's")
    parser.add_argument("--file", type=Path, default=None,
                        help="the claims file (default: the checkout's seeds/claims.toml)")
    args = parser.parse_args(argv)
    file: Path = args.file or Path(str(seed_path() / CLAIMS_FILE))
    text = file.read_text(encoding="utf-8")
    new, problems = _requantify(text, _parser())
    for problem in problems:
        print(f"{file}: {problem}", file=sys.stderr)
    if args.check_quantities:
        if new != text:
            print(f"{file}: figures differ from parse_quantity; run --update-quantities",
                  file=sys.stderr)
            return 1
        return 1 if problems else 0
    if new != text:
        _parse(tomllib.loads(new), str(file), _claim_lines(new))  # must still load
        file.write_text(new, encoding="utf-8")
        print(f"{file}: figures updated")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(_main())
