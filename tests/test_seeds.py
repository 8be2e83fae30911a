"""The bundled seed articles and their curated claims (seeds/claims.toml)."""

from __future__ import annotations

import datetime
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

import claimrecon as cr
from claimrecon._seeds import (
    CLAIMS_FILE,
    _read,
    _requantify,
    load_seed_claims,
    load_seed_documents,
    load_seed_sources,
    seed_path,
    seed_variables,
)

UKRAINIAN_14000 = ("nk-troops-sent", "ua-officials", "around 14,000")


def _text() -> str:
    return (seed_path() / CLAIMS_FILE).read_bytes().decode("utf-8")


def _raw() -> dict[str, Any]:
    return tomllib.loads(_text())


RAW = _raw()
ENTRIES: list[dict[str, Any]] = RAW["claims"]
DOCUMENTS = load_seed_documents()


def _entry_id(entry: dict[str, Any]) -> str:
    return f"{entry['document'][:3]}-{entry['variable']}-{entry['phrase']}"


each_entry = pytest.mark.parametrize("entry", ENTRIES, ids=[_entry_id(e) for e in ENTRIES])


def _parse_quantity() -> Callable[[str], cr.Quantity]:
    parse = getattr(cr, "parse_quantity", None)
    if parse is None:
        hedges = pytest.importorskip("claimrecon._hedges")
        parse = hedges.parse_quantity
    assert callable(parse)
    return cast("Callable[[str], cr.Quantity]", parse)


# --- the files ------------------------------------------------------------------------------


def test_the_seed_folder_holds_the_claims_file() -> None:
    assert (seed_path() / CLAIMS_FILE).is_file()


def test_every_listed_document_exists_and_every_article_is_listed() -> None:
    folder = seed_path()
    for name in RAW["documents"]:
        assert (folder / name).is_file(), name
    articles = {p.name for p in folder.iterdir() if p.name.endswith(".txt")}
    assert articles == set(RAW["documents"])


def test_documents_are_read_unchanged() -> None:
    for name, text in DOCUMENTS.items():
        assert text.encode("utf-8") == (seed_path() / name).read_bytes()


def test_every_document_has_an_outlet_and_a_publication_date() -> None:
    for name, doc in RAW["documents"].items():
        assert doc["outlet"], name
        assert isinstance(doc["published"], datetime.date), name


# --- each claim against its document --------------------------------------------------------


@each_entry
def test_every_quote_occurs_verbatim_in_its_document(entry: dict[str, Any]) -> None:
    assert entry["quote"] in DOCUMENTS[entry["document"]]


@each_entry
def test_every_phrase_occurs_in_its_quote(entry: dict[str, Any]) -> None:
    assert entry["phrase"] in entry["quote"]


@each_entry
def test_every_phrase_parses_to_the_stored_quantity(entry: dict[str, Any]) -> None:
    parsed = _parse_quantity()(entry["phrase"])
    stored = (entry.get("lower"), entry.get("value"), entry.get("upper"))
    assert (parsed.lower, parsed.value, parsed.upper) == stored
    if parsed.unit is not None:  # "$2,000" gives "USD"; the file says "USD per month"
        assert entry["unit"].startswith(parsed.unit)


@each_entry
def test_every_claim_is_published_when_its_document_is(entry: dict[str, Any]) -> None:
    assert entry["published"] == RAW["documents"][entry["document"]]["published"]


@each_entry
def test_no_figure_holds_after_it_was_published(entry: dict[str, Any]) -> None:
    if "as_of" in entry:
        assert entry["as_of"] <= entry["published"]
    else:
        assert "as_of" in entry["note"], "say in the note why as_of is unknown"


@each_entry
def test_the_outlet_that_published_the_document_carried_its_claims(
    entry: dict[str, Any],
) -> None:
    assert entry["via"][0] == RAW["documents"][entry["document"]]["outlet"]
    assert len(set(entry["via"])) == len(entry["via"])


@each_entry
def test_every_claim_states_its_variables_unit(entry: dict[str, Any]) -> None:
    assert entry["unit"] == RAW["variables"][entry["variable"]]["unit"]


# --- sources and variables ------------------------------------------------------------------


def test_every_claims_source_is_defined() -> None:
    used = {e["source"] for e in ENTRIES}
    assert used <= set(RAW["sources"])


def test_every_source_defined_is_used() -> None:
    assert set(RAW["sources"]) == {e["source"] for e in ENTRIES}


def test_no_source_id_is_defined_twice() -> None:
    headers = re.findall(r'^\[sources\.(?:"([^"]+)"|([^\]\s]+))\]', _text(), flags=re.M)
    ids = [quoted or bare for quoted, bare in headers]
    assert len(ids) == len(RAW["sources"])
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_a_source_defined_twice_is_a_claim_file_error(tmp_path: Path) -> None:
    text = _text().replace(
        "[sources.sk-nis]", '[sources.sk-nis]\nname = "x"\nkind = "y"\n\n[sources.sk-nis]', 1
    )
    bad = tmp_path / "claims.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(cr.ClaimFileError, match=r"claims\.toml.*not valid TOML"):
        _read(bad)


def test_unattributed_sources_name_the_document_they_come_from() -> None:
    for entry in ENTRIES:
        if entry["source"].startswith("unattributed:"):
            assert entry["source"] == f"unattributed:{entry['document']}"
    for source_id, source in RAW["sources"].items():
        assert (source["kind"] == "unattributed") == source_id.startswith("unattributed:")


def test_every_variable_used_is_described() -> None:
    described = seed_variables()
    for entry in ENTRIES:
        assert described.get(entry["variable"]), entry["variable"]
    assert set(described) == {e["variable"] for e in ENTRIES}


def test_variables_are_stable_kebab_case_ids() -> None:
    for name in RAW["variables"]:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name


# --- the loaded claims ----------------------------------------------------------------------


def test_load_seed_claims_gives_one_claim_per_entry() -> None:
    claims = load_seed_claims()
    assert len(claims) == len(ENTRIES)
    assert all(isinstance(c, cr.Claim) for c in claims)
    for claim, entry in zip(claims, ENTRIES, strict=True):
        assert claim.variable == entry["variable"]
        assert claim.source == load_seed_sources()[entry["source"]]
        assert claim.document == entry["document"]
        assert claim.quote == entry["quote"]
        assert claim.phrase == entry["phrase"]
        assert claim.via == tuple(entry["via"])
        assert claim.as_of == entry.get("as_of")
        assert claim.published == entry["published"]
        q = claim.quantity
        assert (q.lower, q.value, q.upper) == (
            entry.get("lower"), entry.get("value"), entry.get("upper")
        )
        assert q.unit == entry["unit"]


def test_seed_dates_are_dates() -> None:
    for claim in load_seed_claims():
        assert type(claim.published) is datetime.date
        assert claim.as_of is None or type(claim.as_of) is datetime.date


def test_load_seed_claims_returns_a_new_list_each_time() -> None:
    first = load_seed_claims()
    first.clear()
    assert load_seed_claims()


def test_the_ukrainian_14000_is_one_estimate_in_two_documents() -> None:
    same = [c for c in load_seed_claims()
            if (c.variable, c.source.id, c.phrase) == UKRAINIAN_14000]
    assert len(same) == 2
    a, b = same
    assert a.document != b.document
    assert (a.variable, a.source, a.quantity, a.as_of) == (
        b.variable, b.source, b.quantity, b.as_of
    )


def test_the_ukrainian_14000_counts_once_when_reconciled() -> None:
    claims = [c for c in load_seed_claims() if c.variable == "nk-troops-sent"]
    estimate = cr.reconcile(claims, strategy="weighted")
    repeats = [x for x in estimate.excluded if (x.claim.variable, x.claim.source.id,
                                                x.claim.phrase) == UKRAINIAN_14000]
    assert len(repeats) == 1
    assert repeats[0].reason.startswith("repeats ")


def test_every_seed_variable_reconciles() -> None:
    estimates = cr.reconcile_all(load_seed_claims(), strategy="weighted")
    assert set(estimates) == set(seed_variables())


def test_sources_are_the_origins_not_the_outlets() -> None:
    outlets = {d["outlet"] for d in RAW["documents"].values()}
    outlets |= {v for e in ENTRIES for v in e["via"]}
    names = {s.name for s in load_seed_sources().values()}
    assert not outlets & (set(RAW["sources"]) | names)


# --- a claims file that is wrong ------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _nth_claim_replaced(n: int, old: str, new: str) -> str:
    text = _text()
    starts = [m.start() for m in re.finditer(r"^\[\[claims\]\]", text, flags=re.M)]
    end = starts[n + 1] if n + 1 < len(starts) else len(text)
    block = text[starts[n]:end]
    assert old in block
    return text[:starts[n]] + block.replace(old, new, 1) + text[end:]


def test_a_bad_field_names_the_file_the_claim_and_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _nth_claim_replaced(3, "lower = ", 'lower = "x" # '))
    with pytest.raises(cr.ClaimFileError) as info:
        _read(path)
    err = info.value
    assert err.path == str(path)
    assert err.location is not None
    assert err.location.startswith("claims[3], line ")
    assert err.column == "lower"
    assert str(path) in str(err)
    assert "claims[3]" in str(err)
    assert "'lower'" in str(err)


def test_the_line_named_is_that_of_the_claims_entry(tmp_path: Path) -> None:
    text = _nth_claim_replaced(5, "variable = ", "variable = 1 # ")
    path = _write(tmp_path, text)
    with pytest.raises(cr.ClaimFileError) as info:
        _read(path)
    assert info.value.location is not None
    line = int(info.value.location.rsplit(" ", 1)[1])
    assert text.splitlines()[line - 1] == "[[claims]]"
    assert sum(ln == "[[claims]]" for ln in text.splitlines()[:line]) == 6


def test_several_problems_are_one_error_with_a_note_each(tmp_path: Path) -> None:
    text = _nth_claim_replaced(0, 'source = "', 'source = "nobody-')
    text = text.replace('unit = "troops"\nnote', 'unit = "tanks"\nnote', 1)
    path = _write(tmp_path, text)
    with pytest.raises(cr.ClaimFileError) as info:
        _read(path)
    err = info.value
    assert [p[1] for p in err.problems] == ["source", "unit"]
    assert "is not defined in [sources]" in str(err)
    assert len(err.__notes__) == 1
    assert "must be the unit of" in err.__notes__[0]


@pytest.mark.parametrize(
    ("old", "new", "column", "message"),
    [
        ('document = "', 'document = "missing-', "document", "not listed in [documents]"),
        ('variable = "', 'variable = "unknown-', "variable", "not described in [variables]"),
        ("published = ", 'published = "2025-04-28" # ', "published", "TOML date"),
        ("phrase = ", "typo = 1\nphrase = ", "typo", "unknown field"),
        ("upper = ", "upper = -1 # ", "lower, value, upper", "lower must not exceed upper"),
    ],
)
def test_claim_problems_are_named_precisely(
    tmp_path: Path, old: str, new: str, column: str, message: str
) -> None:
    path = _write(tmp_path, _nth_claim_replaced(0, old, new))
    with pytest.raises(cr.ClaimFileError, match=re.escape(message)) as info:
        _read(path)
    assert info.value.column == column
    assert info.value.location is not None
    assert info.value.location.startswith("claims[0]")


def test_text_that_is_not_toml_is_a_claim_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[claims]\n")
    with pytest.raises(cr.ClaimFileError, match="not valid TOML") as info:
        _read(path)
    assert info.value.path == str(path)


def test_a_missing_claims_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _read(tmp_path / "claims.toml")


# --- keeping the figures in step with parse_quantity ----------------------------------------


def test_requantify_rewrites_only_the_figures() -> None:
    def fake(phrase: str) -> cr.Quantity:
        if phrase == "thousands":
            raise ValueError("no")
        return cr.Quantity(lower=1, upper=2)

    text = _text()
    new, problems = _requantify(text, fake)
    assert len(problems) == sum(e["phrase"] == "thousands" for e in ENTRIES)
    assert all("'thousands' does not parse" in p for p in problems)
    data = tomllib.loads(new)
    for before, after in zip(ENTRIES, data["claims"], strict=True):
        figures = {"lower", "value", "upper"}
        assert {k: v for k, v in before.items() if k not in figures} == {
            k: v for k, v in after.items() if k not in figures
        }
        if before["phrase"] != "thousands":
            assert (after["lower"], after.get("value"), after["upper"]) == (1, None, 2)
    comments = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert comments == [ln for ln in new.splitlines() if ln.startswith("#")]


def test_requantify_with_the_real_parser_changes_nothing() -> None:
    new, problems = _requantify(_text(), _parse_quantity())
    assert problems == []
    assert new == _text()

