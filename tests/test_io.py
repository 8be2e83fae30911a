"""Claims files: CSV, JSON Lines, Parquet and frames share one schema and lose nothing."""

from __future__ import annotations

import datetime
import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon.testing import claim_lists, quantities

#: Claims of every shape, some stating expert quantiles.
_CLAIMS = claim_lists(min_size=1, quantity=quantities(quantiles=True))

CSV = """variable,source,value,lower,upper,unit,as_of,via,source_name
troops,mod,12000,,,troops,2024-10-18,Reuters;BBC,South Korea's Defense Ministry
troops,nis,,,15000,troops,2025-04-28,,
"""


def test_a_csv_file_reads_into_a_table(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text(CSV, encoding="utf-8")
    claims = cr.read_claims(p).to_claims()
    assert claims[0].quantity == cr.Quantity(value=12_000, unit="troops")
    assert claims[0].via == ("Reuters", "BBC")
    assert claims[0].as_of == datetime.date(2024, 10, 18)
    assert claims[0].source.name == "South Korea's Defense Ministry"
    assert claims[1].quantity == cr.Quantity(upper=15_000, unit="troops")


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    assert len(cr.read_claims(p)) == 2


def test_bad_rows_name_file_line_and_column_and_none_is_dropped(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("variable,source,value,lower,upper\n"
                 "v,a,1,,\n"
                 "v,b,abc,,\n"
                 "v,c,5,10,1\n"
                 "v,d,inf,,\n", encoding="utf-8")
    with pytest.raises(cr.ClaimFileError) as info:
        cr.read_claims(p)
    err = info.value
    assert str(err) == f"{p}, line 3, column 'value': expected a number (got 'abc')"
    assert [(loc, col) for loc, col, _ in err.problems] == [
        ("line 3", "value"), ("line 4", "lower"), ("line 5", "value")]
    assert len(err.__notes__) == 2


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("variable,value\nv,1\n", encoding="utf-8")
    with pytest.raises(cr.ClaimFileError, match="line 1, column 'source'"):
        cr.read_claims(p)


def test_columns_map_the_files_headers(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("what,who,figure\nv,a,3\n", encoding="utf-8")
    t = cr.read_claims(p, columns={"variable": "what", "source": "who", "value": "figure"})
    assert t.to_claims()[0].quantity.value == 3


@pytest.mark.parametrize(("form", "columns", "message"), [
    ("csv", {"uper": "max"}, "column 'uper': columns maps 'uper', which is not a column of "
     "the claims schema; did you mean 'upper'?"),
    ("csv", {"upper": "maximum"}, "column 'upper': columns maps 'upper' to 'maximum', which "
     "is not a column of the input; found: variable, source, value, max"),
    ("csv", {"upper": "max", "lower": "max"}, "columns maps both 'upper' and 'lower' to 'max'"),
    ("frame", {"upper": "maximum"}, "columns maps 'upper' to 'maximum', which is not a column"),
    ("frame", {"uper": "max"}, "did you mean 'upper'?"),
    ("jsonl", {"uper": "max"}, "did you mean 'upper'?"),
    ("jsonl", {"value": "max"}, "line 1, column 'value': the column 'value' appears twice"),
])
def test_a_mapping_of_columns_that_does_not_apply_is_refused(
        tmp_path: Path, form: str, columns: dict[str, str], message: str) -> None:
    # left unchecked, the column the mapping meant is not read: a bound lost
    text = "variable,source,value,max\nx,a,7,9\n"
    if form == "frame":
        pd = pytest.importorskip("pandas")
        with pytest.raises(cr.ClaimFileError, match=re.escape(message)):
            cr.ClaimTable.from_pandas(pd.read_csv(io.StringIO(text)), columns=columns)
        return
    if form == "jsonl":
        text = '{"variable": "x", "source": "a", "value": 7, "max": 9}\n'
    with pytest.raises(cr.ClaimFileError, match=re.escape(message)):
        cr.read_claims(_write(tmp_path, f"c.{form}", text), columns=columns)


def test_columns_map_a_frames_labels_whatever_their_type() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(io.StringIO("x,a,1\n"), header=None)  # labels 0, 1, 2
    mapping: Any = {"variable": 0, "source": 1, "value": 2}
    assert cr.ClaimTable.from_pandas(frame, columns=mapping).variables == ("x",)


def test_json_lines_errors_name_the_physical_line(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text('{"variable": 1, "source": "a", "value": 2}\n\n'
                 '{"variable": 1, "source": "a", "value": NaN}\n', encoding="utf-8")
    with pytest.raises(cr.ClaimFileError, match="line 3, column 'value': expected a finite"):
        cr.read_claims(p)


def test_json_lines_keep_integer_variables(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text('{"variable": 7, "source": "a", "value": 2}\n', encoding="utf-8")
    assert cr.read_claims(p).to_claims()[0].variable == 7


def test_one_source_defined_two_ways_across_rows_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("variable,source,value,source_reliability\nv,a,1,0.5\nv,a,2,0.7\n",
                 encoding="utf-8")
    with pytest.raises(cr.ClaimFileError, match=r"line 3, column 'source_reliability'.*line 2"):
        cr.read_claims(p)


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=_CLAIMS)
def test_round_trips_through_every_format_lose_nothing(
    tmp_path: Path, suffix: str, claims: list[cr.Claim]
) -> None:
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
    p = tmp_path / f"claims.{suffix}"
    cr.ClaimTable.from_claims(claims).write(p)
    back = cr.read_claims(p).to_claims()
    assert back == claims


def test_rows_weights_which_claims_cannot_hold_are_never_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, "w.csv", "variable,source,value,weight\nx,a,10,1\nx,b,20,4\n")
    table = cr.read_claims(path)
    with pytest.raises(ValueError, match=r"row 1 has the weight 4, which a Claim cannot hold"):
        table.to_claims()
    assert cr.reconcile_all(table, "weighted")["x"].value == pytest.approx(18.0)
    plain = cr.read_claims(_write(tmp_path, "p.csv", "variable,source,value,weight\nx,a,1,1\n"))
    assert [c.quantity.value for c in plain.to_claims()] == [1.0]


def test_source_ids_that_are_one_text_are_one_source() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["x", "x", "x"],
                          "source": pd.Series(["1", 1, "2"], dtype=object),
                          "value": [10.0, 10.0, 40.0]})
    table = cr.ClaimTable.from_pandas(frame)
    assert [s.id for s in table.sources] == ["1", "2"]
    assert table.source.tolist() == [0, 0, 1]
    e = cr.reconcile_all(frame, "weighted")["x"]
    assert (e.value, e.n_used) == (25.0, 2)  # the second row repeats the first
    with pytest.raises(cr.ClaimFileError, match="row 1, column 'source_reliability': "
                       "source '1' is defined differently"):
        cr.ClaimTable.from_pandas(frame.assign(source_reliability=[1.0, 0.1, 1.0]))


def test_a_frame_defines_its_sources_and_units_as_files_do() -> None:
    # a blank text is none, a reliability not given is 1: rows that agree so agree
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["x", "x", "x"], "source": ["a", "a", "b"],
                          "value": [1.0, 2.0, 3.0],
                          "source_reliability": [1.0, None, 0.5],
                          "source_name": [" ", None, "B"],
                          "unit": ["km", " ", ""]})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.sources == (cr.Source(id="a"), cr.Source(id="b", name="B", reliability=0.5))
    assert table.units == ("km",) and table.unit.tolist() == [0, -1, -1]
    assert cr.reconcile_all(frame, "range")["x"].unit == "km"  # no unit goes with any
    blank = cr.ClaimTable.from_pandas(frame.assign(unit=" "))
    assert blank.units == () and blank.unit.tolist() == [-1, -1, -1]


def test_frames_read_with_row_numbers() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, float("inf")]})
    with pytest.raises(cr.ClaimFileError, match="row 1, column 'value'"):
        cr.reconcile_all(df)
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, None],
                       "upper": [None, 4.0]})
    e = cr.reconcile_all(df, "range")["v"]
    assert (e.lower, e.upper) == (None, 4.0)


@pytest.mark.parametrize("change", ["loc", "iloc", "column", "fillna", "update"])
def test_a_table_keeps_its_own_copy_of_the_frames_columns(change: str) -> None:
    # Whether the table copied the columns or shares them under pandas' copy-on-write,
    # nothing done to the frame afterwards reaches it.
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, 2.0],
                       "lower": [0.5, 1.5], "upper": [1.5, np.nan],
                       "as_of": pd.to_datetime(["2024-01-01", "2024-02-01"]).astype(
                           "datetime64[us]")})
    table = cr.ClaimTable.from_pandas(df)
    if change == "loc":
        df.loc[0, ["value", "lower", "upper"]] = [9.0, 8.0, 10.0]
        df.loc[0, "as_of"] = pd.Timestamp("2030-01-01")
    elif change == "iloc":
        df.iloc[0, 2:5] = [9.0, 8.0, 10.0]
        df.iloc[0, 5] = pd.Timestamp("2030-01-01")
    elif change == "column":
        df.loc[:, "value"] = 9.0
        df.loc[:, "as_of"] = pd.Timestamp("2030-01-01")
    elif change == "fillna":
        df.fillna({"upper": 0.25}, inplace=True)
    else:
        df.update(pd.DataFrame({"value": [9.0, 9.0], "lower": [8.0, 8.0]}))
    first, second = table.claim(0), table.claim(1)
    assert (first.quantity.lower, first.quantity.value, first.quantity.upper) == (0.5, 1.0, 1.5)
    assert (second.quantity.lower, second.quantity.value, second.quantity.upper) == (
        1.5, 2.0, None)
    assert (first.as_of, second.as_of) == (datetime.date(2024, 1, 1), datetime.date(2024, 2, 1))
    if change == "loc":  # the frame did change
        assert df.loc[0, "value"] == 9.0


def test_a_table_copies_what_copy_on_write_does_not_guard() -> None:
    # pandas hands out a nullable Float64 column's buffer writeable: the table copies it.
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"],
                       "value": pd.array([1.0, 2.0], dtype="Float64")})
    table = cr.ClaimTable.from_pandas(df)
    table.value[1] = 5.0  # the table's own copy: the frame does not see it
    assert df["value"].tolist() == [1.0, 2.0]
    df["value"].array[0] = 9.0  # nor does the table see the frame's buffer change
    assert table.value.tolist() == [1.0, 5.0]


def test_a_table_from_a_frame_pickles_without_the_frame() -> None:
    pd = pytest.importorskip("pandas")
    import pickle

    n = 50_000
    df = pd.DataFrame({"variable": np.arange(n) % 100, "source": np.arange(n) % 7,
                       "value": np.arange(n, dtype=float), "lower": np.arange(n) - 1.0,
                       "upper": np.arange(n) + 1.0})
    table = cr.ClaimTable.from_pandas(df)
    assert table._shares  # the frame's columns, kept
    back = pickle.loads(pickle.dumps(table))
    assert back.to_claims()[-5:] == table.to_claims()[-5:] and back._shares == ()
    columns = sum(getattr(table, c).size * 8 for c in (
        "variable", "source", "lower", "value", "upper", "unit", "confidence", "weight",
        "as_of", "published"))
    shared = 3 * 8 * n  # what pickling the kept Series too would add
    assert len(pickle.dumps(table)) < columns + shared / 2


def test_claims_whose_units_are_converted_keep_the_frames_figures() -> None:
    # Converting units makes a new table that still shares the frame's time column.
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pint")
    import gc

    df = pd.DataFrame({"variable": ["d", "d", "e"], "source": ["a", "b", "c"],
                       "value": [1.0, 1500.0, 3.0], "unit": ["km", "m", "km"],
                       "as_of": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]
                                               ).astype("datetime64[us]")})
    es = cr.reconcile_all(df, strategy="weighted")
    gc.collect()  # the table built from the frame is gone; the converted one remains
    df.loc[0, "as_of"] = pd.Timestamp("1999-09-09")
    assert [c.claim.as_of for c in es["d"].contributions] == [
        datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)]


@settings(max_examples=25)
@given(claims=_CLAIMS)
def test_frames_round_trip_and_match_the_claims_path(claims: list[cr.Claim]) -> None:
    pytest.importorskip("pandas")
    table = cr.ClaimTable.from_claims(claims)
    back = cr.ClaimTable.from_pandas(table.to_pandas())
    assert back.to_claims() == claims
    a, b = cr.reconcile_all(claims, "median"), cr.reconcile_all(back, "median")
    assert [str(e) for e in a.values()] == [str(e) for e in b.values()]


@settings(max_examples=25)
@given(claims=_CLAIMS)
def test_polars_and_arrow_frames_match_the_claims_path(claims: list[cr.Claim]) -> None:
    """reconcile_all takes a polars DataFrame or an Arrow table in the claims schema as
    it takes a pandas one: the same estimates, and nothing lost on the way."""
    pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    df = cr.ClaimTable.from_claims(claims).to_pandas()
    expected = [str(e) for e in cr.reconcile_all(claims, "median").values()]
    for frame in (pl.from_pandas(df), pa.Table.from_pandas(df)):
        assert [str(e) for e in cr.reconcile_all(frame, "median").values()] == expected
    assert cr.ClaimTable.from_arrow(pl.from_pandas(df).to_arrow()).to_claims() == claims


def test_a_bad_row_in_a_polars_frame_is_named() -> None:
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")  # polars hands its frames over through Arrow
    df = pl.DataFrame({"variable": ["v", "v", "v"], "source": ["a", "b", "c"],
                       "value": [1.0, 5.0, 2.0], "upper": [2.0, 4.0, 3.0]})
    with pytest.raises(cr.ClaimFileError, match=r"row 1, column 'value': value 5 lies outside"):
        cr.reconcile_all(df)


def test_many_bad_rows_in_a_frame_are_all_reported() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", None, "v", "v"], "source": ["a", "b", "c", "a"],
                       "value": ["1", "2", "x", "3"], "source_reliability": [0.5, 1, 1, 0.7]})
    with pytest.raises(cr.ClaimFileError) as info:
        cr.ClaimTable.from_pandas(df)
    assert str(info.value) == "row 1, column 'variable': a variable is required"
    assert [(loc, col) for loc, col, _ in info.value.problems] == [
        ("row 1", "variable"), ("row 2", "value"), ("row 3", "source_reliability")]


@pytest.mark.parametrize("extra", [{}, {"source_name": []}, {"source_reliability": []}])
def test_an_empty_frame_is_no_claims_whatever_its_columns(extra: dict[str, list[object]]) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": [], "source": [], "value": [], **extra})
    with pytest.raises(cr.EmptyInputError, match="no claims"):
        cr.reconcile_all(frame)


@pytest.mark.parametrize("keys", ["text", "int"])
def test_source_ids_coded_on_a_second_thread_give_the_same_table(
        monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    """Large frames code their source ids on a second thread: the table, and the rows a
    bad source id is reported in, are those of the one-thread path, with text and with
    integer variable keys."""
    pd = pytest.importorskip("pandas")
    from claimrecon import _io

    rng = np.random.default_rng(7)
    n = 500 if keys == "text" else 5000  # integer keys this many are coded directly
    var = rng.integers(0, 40 if keys == "text" else 900, n)
    df = pd.DataFrame({"variable": [f"v{i}" for i in var] if keys == "text" else var,
                       "source": [f"s{i}" for i in rng.integers(0, 30, n)],
                       "value": rng.normal(100.0, 5.0, n)})
    tables = {}
    for rows in (10**9, 1):
        monkeypatch.setattr(_io, "_THREAD_ROWS", rows)
        tables[rows] = cr.ClaimTable.from_pandas(df).to_claims()
        bad = df.astype({"source": object})
        bad.loc[[3, 17], "source"] = None
        with pytest.raises(cr.ClaimFileError) as info:
            cr.ClaimTable.from_pandas(bad)
        assert [(loc, col) for loc, col, _ in info.value.problems] == [
            ("row 3", "source"), ("row 17", "source")]
    assert tables[1] == tables[10**9]
    assert len(tables[1]) == n


def test_work_handed_to_a_thread_returns_its_result_or_raises_its_error() -> None:
    import threading
    import time

    from claimrecon._io import _beside

    here = threading.current_thread().name
    with _beside(lambda: threading.current_thread().name, threaded=True) as name:
        assert name() == "claimrecon-factorize"
    with _beside(lambda: threading.current_thread().name, threaded=False) as name:
        assert name() == here

    def fail() -> None:
        raise KeyError("no such column")

    with pytest.raises(KeyError, match="no such column"), _beside(fail, threaded=True) as got:
        got()
    # Leaving the block by an error of its own waits for the thread: none is left.
    finished = []

    def slow() -> None:
        time.sleep(0.2)
        finished.append(True)

    with pytest.raises(ValueError, match="bad row"), _beside(slow, threaded=True):
        raise ValueError("bad row")
    assert finished == [True]
    assert "claimrecon-factorize" not in [t.name for t in threading.enumerate()]


def test_a_table_becomes_a_typed_frame_column_by_column() -> None:
    pytest.importorskip("pandas")
    claims = [
        cr.Claim(variable="v", source=cr.Source(id="a", reliability=0.5),
                 quantity=cr.Quantity(value=-0.0), as_of=datetime.date(2025, 1, 2)),
        cr.Claim(variable="v", source=cr.Source(id="b"),
                 quantity=cr.Quantity(lower=12_000, unit="troops")),
    ]
    df = cr.ClaimTable.from_claims(claims).to_pandas()
    assert list(df.columns) == ["variable", "source", "value", "lower", "upper", "unit",
                                "confidence", "as_of", "published", "weight", "source_name",
                                "source_kind", "source_reliability", "via", "document", "quote",
                                "phrase", "quantiles"]
    assert {c: str(df[c].dtype) for c in ("value", "lower", "upper", "weight", "as_of")} == {
        "value": "float64", "lower": "float64", "upper": "float64", "weight": "float64",
        "as_of": "datetime64[us]"}
    assert math.copysign(1.0, df["value"][0]) == -1.0  # not the integer 0
    assert df["lower"].isna()[0] and df["lower"][1] == 12_000.0 and df["upper"].isna().all()
    assert df["as_of"].isna()[1] and df["source_reliability"].tolist() == [0.5, 1.0]
    assert cr.ClaimTable.from_pandas(df).to_claims() == claims


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("name", "text", "message"), [
    # a blank line does not shift the lines counted after it
    ("blank.csv", "variable,source,value\nv,a,1\n\nv,b,twelve\n",
     "line 4, column 'value': expected a number"),
    # a short row, or a cut last line, is not read as cells not given
    ("short.csv", "variable,source,value,upper\nv,a,1\n", "line 2: 3 cells where the header has 4"),
    ("twice.csv", "variable,source,value,value\nv,a,1,2\n", "the column 'value' appears twice"),
    # a quote left open would hold every later line in one cell: those claims lost
    ("open.csv", 'variable,source,value,quote\nv,a,5,"five\nv,b,6,x\nw,c,7,x\n',
     "line 2: not valid CSV: unexpected end of data"),
    ("after.csv", 'variable,source,value,quote\nv,a,5,x\nv,b,6,"six"th\n',
     "line 3: not valid CSV: ',' expected after '\"'"),
    ("twice.jsonl", '{"variable": "v", "source": "a", "value": 1, "value": 2}\n',
     "line 1, column 'value': the key 'value' appears twice"),
    # a schema name but for case or spaces would be ignored, and its figure lost
    ("near.csv", "variable,source,value,Upper\nv,a,12,15\n",
     "column 'Upper': the column 'Upper' is not in the claims schema; did you mean 'upper'?"),
    ("near.jsonl", '{"variable": "v", "source": "a", "value": 1, "as of": "2024-01-01"}\n',
     "did you mean 'as_of'?"),
    ("far.csv", "variable,source,value,as_of\nv,a,1,0001-01-01T00:30:00+01:00\n",
     "line 2, column 'as_of': expected a date within years 1 to 9999 in UTC"),
    # a JSON object or array is no key, no text, no outlet name
    ("obj.jsonl", '{"variable": {"a": 1}, "source": "s", "value": 1}\n',
     "line 1, column 'variable': expected a string or an integer"),
    ("list.jsonl", '{"variable": "v", "source": ["s"], "value": 1}\n',
     "line 1, column 'source': expected a text"),
    ("via.jsonl", '{"variable": "v", "source": "s", "value": 1, "via": ["a", null]}\n',
     "line 1, column 'via': expected a list of outlet names"),
    ("quote.jsonl", '{"variable": "v", "source": "s", "value": 1, "quote": {"a": 1}}\n',
     "line 1, column 'quote': expected a text (got {'a': 1})"),
    # quantiles: probability:value pairs, valid as a Quantity's
    ("pairs.csv", "variable,source,value,quantiles\nv,s,1,0.05:1;0.5\n",
     "line 2, column 'quantiles': expected probability:value pairs separated by ';' "
     "(got '0.05:1;0.5')"),
    ("order.csv", "variable,source,value,quantiles\nv,s,1,0.05:9;0.95:1\n",
     "line 2, column 'quantiles': quantile values must not decrease with probability"),
    ("prob.jsonl", '{"variable": "v", "source": "s", "value": 1, "quantiles": [[1.5, 2]]}\n',
     "line 1, column 'quantiles': quantile probabilities must lie strictly between 0 and 1"),
    ("pair.jsonl", '{"variable": "v", "source": "s", "value": 1, "quantiles": [[0.5]]}\n',
     "line 1, column 'quantiles': each quantile must be a (probability, value) pair"),
    ("qnan.jsonl", '{"variable": "v", "source": "s", "value": 1, "quantiles": [[0.5, NaN]]}\n',
     "line 1, column 'quantiles': quantile value must be a real number (got 'NaN' of type "
     "str), in [[0.5, 'NaN']]"),
    ("qtext.jsonl", '{"variable": "v", "source": "s", "value": 1, "quantiles": 5}\n',
     "line 1, column 'quantiles': expected probability:value pairs separated by ';' or a list"),
    # an integer past the largest float, or of more digits than Python converts
    ("big.jsonl", '{"variable": "v", "source": "s", "value": 1' + "0" * 400 + "}\n",
     "line 1, column 'value': expected a finite number (got 1000000000"),
    ("huge.jsonl", '{"variable": "v", "source": "s", "value": ' + "9" * 5000 + "}\n",
     "line 1: cannot read the JSON: Exceeds the limit (4300 digits)"),
    # a long cell is shown cut short
    ("long.csv", "variable,source,value\nv,s," + "x" * 10_000 + "\n",
     "line 2, column 'value': expected a number (got 'xxxxxxxxx"),
])
def test_bad_files_are_refused_where_they_are_bad(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(cr.ClaimFileError, match=re.escape(message)):
        cr.read_claims(_write(tmp_path, name, text))


def test_a_long_cell_is_cut_short_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(cr.ClaimFileError) as info:
        cr.read_claims(_write(tmp_path, "long.csv", "variable,source,value\nv,s," + "x" * 10_000))
    assert len(str(info.value)) < 200 and "(10002 characters)" in str(info.value)


def test_other_extra_columns_are_ignored_and_long_cells_are_read(tmp_path: Path) -> None:
    quote = "x" * 200_000  # longer than the csv module's own limit
    p = _write(tmp_path, "ok.csv", f'variable,source,value,notes,quote\nv,a,1,mine,"{quote}"\n')
    (claim,) = cr.read_claims(p).to_claims()
    assert claim.quote == quote and claim.quantity.value == 1


def test_a_parquet_file_that_is_missing_or_is_not_parquet_is_a_claim_file_error(
    tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    with pytest.raises(cr.ClaimFileError, match="cannot open the file"):
        cr.read_claims(tmp_path / "missing.parquet")
    with pytest.raises(cr.ClaimFileError, match="cannot read the file as Parquet"):
        cr.read_claims(_write(tmp_path, "not.parquet", "variable,source\n"))


@pytest.mark.parametrize(("frame", "message"), [
    ({"variable": ["v", " "], "source": ["a", "b"], "value": [1.0, 2.0]},
     "row 1, column 'variable': a variable is required (got an empty text)"),
    ({"variable": ["v", "v"], "source": ["a", ""], "value": [1.0, 2.0]},
     "row 1, column 'source': a source id is required (got an empty text)"),
    ({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, True]},
     "row 1, column 'value': expected a number (got True)"),
])
def test_bad_frame_rows_are_named(frame: dict[str, list[object]], message: str) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in frame.items()})
    with pytest.raises(cr.ClaimFileError, match=re.escape(message)):
        cr.ClaimTable.from_pandas(df)


@pytest.mark.parametrize(("column", "message"), [
    ("bool", "expected a number (got a bool)"),
    ("boolean", "expected a number (got a bool)"),
    ("bool[pyarrow]", "expected a number (got a bool)"),
    ("datetime64[ns]", "expected a number (got a date)"),
    ("datetime64[ns, UTC]", "expected a number (got a date)"),
    ("timedelta64[ns]", "expected a number (got a duration)"),
    ("complex128", "expected a number (got a complex number)"),
    ("complex objects", "expected a number (got (1+5j))"),
])
def test_a_frame_column_of_what_is_no_figure_is_refused_by_row(column: str, message: str) -> None:
    # never read as a figure: True as 1, a date as microseconds, 1+5j as 1
    pd = pytest.importorskip("pandas")
    if column == "bool[pyarrow]":
        pytest.importorskip("pyarrow")
    cells = {"bool": [True, None], "boolean": [True, None], "bool[pyarrow]": [True, None],
             "datetime64[ns]": ["2024-01-01", None], "datetime64[ns, UTC]": ["2024-01-01", None],
             "timedelta64[ns]": ["1 day", None], "complex128": [1 + 5j, 2 + 0j],
             "complex objects": [1 + 5j, None]}[column]
    dtype = {"bool": object, "complex objects": object}.get(column, column)
    frame = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"],
                          "value": pd.Series(cells, dtype=dtype), "lower": [0.0, 0.0]})
    if column == "bool":
        frame["value"] = frame["value"].fillna(False).astype(bool)
    with pytest.raises(cr.ClaimFileError) as info:
        cr.ClaimTable.from_pandas(frame)
    assert info.value.problems[0] == ("row 0", "value", message)
    assert len(info.value.problems) == (2 if column in ("bool", "complex128") else 1)


@pytest.mark.parametrize("dtype", [object, "string"])
def test_an_empty_text_in_a_frames_number_column_is_no_number_given(dtype: object) -> None:
    # as the same cell is in a CSV file (what pd.read_csv(keep_default_na=False) gives)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"],
                          "value": pd.Series(["12000", " "], dtype=dtype),
                          "lower": pd.Series(["", "11000"], dtype=dtype),
                          "upper": pd.Series(["", "15000"], dtype=dtype)})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.lower.tolist() == [12000.0, 11000.0]
    assert np.isnan(table.value[1]) and table.upper.tolist() == [12000.0, 15000.0]
    with pytest.raises(cr.ClaimFileError, match="row 0, column 'value': expected a number"):
        cr.ClaimTable.from_pandas(frame.assign(value=pd.Series(["x", "1"], dtype=dtype)))


def test_arrow_decimals_with_a_null_are_numbers() -> None:
    import decimal

    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "upper": [9.0, 9.0],
                          "value": pd.array([decimal.Decimal("1.5"), None],
                                            dtype=pd.ArrowDtype(pa.decimal128(10, 2)))})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.value[0] == 1.5 and np.isnan(table.value[1])


def test_a_frame_via_list_holding_a_null_is_refused() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, 2.0],
                       "via": [["x"], ["y", None]]})
    with pytest.raises(cr.ClaimFileError, match=r"row 1, column 'via': expected a list"):
        cr.ClaimTable.from_pandas(df)


def test_a_frame_column_twice_is_refused() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([["v", "a", 1.0, 2.0]], columns=["variable", "source", "value", "value"])
    with pytest.raises(cr.ClaimFileError, match="the column 'value' appears twice"):
        cr.ClaimTable.from_pandas(df)


def test_frame_times_with_different_offsets_are_instants() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v"] * 3, "source": ["a", "b", "c"], "value": [1.0] * 3,
                       "as_of": ["2025-01-01T00:00:00+09:00", "2025-01-01T00:00:00-05:00",
                                 "2025-01-01"]})
    assert [c.as_of for c in cr.ClaimTable.from_pandas(df).to_claims()] == [
        datetime.datetime(2024, 12, 31, 15), datetime.datetime(2025, 1, 1, 5),
        datetime.date(2025, 1, 1)]


@pytest.mark.parametrize("text", [
    "2024-01-05", " 2024-01-05 ", "20240105", "2024-01-05T10", "2024-01-05 10:00",
    "2024-W01-1", "2024-01-05T10:00:00Z", "2024-01-05T10:00:00+02:00",
    "2024-01-05T10:00:00.123456789", "2024", "2024-01", "2024-1-5", "2024-01-05T24:00:00",
    "0001-01-01T00:30:00+01:00", "soon"])
def test_frames_read_date_texts_as_files_do(text: str, tmp_path: Path) -> None:
    # One rule for what an ISO date is: a year alone ("2024") is no date in a file, and
    # was January 1st in a frame; an ISO week date was refused in a frame only.
    pd = pytest.importorskip("pandas")

    def outcome(read: Any) -> object:
        try:
            return read().as_of.tolist()
        except cr.ClaimFileError as exc:
            return exc.problems[0][1:]

    path = _write(tmp_path, "d.csv", f"variable,source,value,as_of\nv,a,1,{text}\n")
    frame = pd.DataFrame({"variable": ["v"], "source": ["a"], "value": [1.0],
                          "as_of": pd.Series([text], dtype=object)})
    got = outcome(lambda: cr.ClaimTable.from_pandas(frame))
    assert got == outcome(lambda: cr.read_claims(path))
    assert isinstance(got, list) == (text not in ("2024", "2024-01", "2024-1-5", "soon",
                                                  "2024-01-05T24:00:00",
                                                  "0001-01-01T00:30:00+01:00"))


def test_a_unit_pint_cannot_read_is_a_unit_mismatch() -> None:
    pytest.importorskip("pint")
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, 2.0],
                       "unit": ["(troops", "m"]})
    with pytest.raises(cr.UnitMismatchError, match=r"'\(troops', 'm'"):
        cr.reconcile_all(df)


def test_a_file_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes(b"variable,source,value\n" + b"v,a,1\n" * 5000 + "v,Z\u00fcrich,2\n".encode(
        "latin-1"))
    with pytest.raises(cr.ClaimFileError, match=r"line 5002 \(byte 30025 of the file\): not UTF-8"):
        cr.read_claims(p)


def test_parquet_refuses_variable_keys_of_two_types_in_words(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    table = cr.ClaimTable.from_claims([
        cr.Claim(variable=v, source=cr.Source(id="a"), quantity=cr.Quantity(value=1.0))
        for v in ("x", 3)])
    with pytest.raises(cr.ClaimFileError, match="can be written as JSON Lines"):
        table.write(tmp_path / "mixed.parquet")
    with pytest.raises(cr.ClaimFileError, match=r"cannot tell the format from the suffix '\.txt'"):
        table.write(tmp_path / "mixed.txt")
    table.write(tmp_path / "mixed.jsonl")
    assert cr.read_claims(tmp_path / "mixed.jsonl").to_claims() == table.to_claims()


# Cells as files hold them: texts (CSV), or JSON values. Mostly plain, some not: a
# number text with spaces, "nan", a JSON true, an object where a text belongs...
_CELLS = {
    "variable": ["v1", "v2", "10", 1, 2, "", " ", None, 1.5, 2.0, True, [1]],
    "source": ["s1", "s2", " s3", "", "\t", None, 5, {}],
    "value": ["12", "1e3", "-0", "", " 7 ", "nan", "inf", "1_000", "x", 12, 1.5, -0.0, None,
              True, "12", 10**400],
    "lower": ["", "1", "-3.5", "9999", None, 1, 2.5, False],
    "upper": ["", "2000", "1e6", "0", None, 2000, "nan"],
    "unit": ["", "km", "m", "  ", None, 5],
    "confidence": ["", "0.5", "1", "0", None, 0.25, True],
    "as_of": ["", "2024-01-01", "2024-01-01T10:00:00+02:00", "bad", " 2024-01-01 ",
              "0001-01-01T00:00:00+01:00", None, 2024],
    "published": ["", "2024-02-01", "2024/01/01", None],
    "weight": ["", "2", "0.5", "0", "-1", None, 3, 0],
    "source_name": ["", "", "Name A", "Name B", "  ", None, 5],
    "source_reliability": ["", "", "0.5", "1", "2", None, 0.5, True],
    "via": ["", "a;b", " a ; ;b", ";", [], ["a"], ["a", "b"], ["a", 1], [None], None, 5],
    "document": ["", "doc1", "\u2028", None, {"x": 1}, 5],
    "quote": ["", "a quote, with comma", "  ", None, [1]],
    "phrase": ["", "about", None, 3.5],
    "quantiles": ["", "0.05:1;0.95:9", None, "0.5:3", " 0.5 : 3 ", "0.5", "0.9:1;0.1:2",
                  "0.5:nan", "0.5:1;", "1:2", [[0.5, 3]], [[0.05, 1], [0.95, 9]], [[0.5]],
                  [], 5, [["0.5", 3]], [[0.5, True]]],
}


@st.composite
def _cell_columns(draw: st.DrawFn) -> dict[str, list[object]]:
    """Columns of cells: texts only (as CSV gives them), or JSON values too."""
    texts_only = draw(st.booleans())
    names = ["variable", "source", *(c for c in list(_CELLS)[2:] if draw(st.booleans()))]
    n = draw(st.integers(1, 12))
    plain = draw(st.booleans())  # a column of the first (plain) cells only, mostly

    def cells(c: str) -> list[object]:
        pool = [x for x in _CELLS[c] if isinstance(x, str) or not texts_only]
        if plain:
            pool = pool[:3]
        return draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))

    return {c: cells(c) for c in names}


def _outcome(rows: Any) -> object:
    try:
        t = rows.table()
    except cr.ClaimFileError as exc:
        return ("error", str(exc), exc.problems)
    return (t.variables, t.sources, t.units, t.via, t.document, t.quote, t.phrase, t.quantiles,
            *(getattr(t, c).tobytes() for c in ("variable", "source", "lower", "value",
                                                "upper", "unit", "confidence", "weight",
                                                "as_of", "published")))


@settings(max_examples=400, deadline=None)
@given(_cell_columns(), st.integers(1, 5))
def test_the_column_pass_of_the_readers_agrees_with_the_row_rules(
    cols: dict[str, list[object]], chunk: int
) -> None:
    # The readers check a file's rows a chunk at a time, column by column, and hand
    # any chunk they cannot vouch for to the row rules: a file gives the same table,
    # or the same errors, either way.
    from claimrecon import _io

    n = len(cols["variable"])
    lines = list(range(2, n + 2))
    by_rows = _io._Rows("f.csv")
    by_rows.add_rows((f"line {ln}", {c: v[i] for c, v in cols.items()})
                     for i, ln in enumerate(lines))
    by_chunks = _io._Rows("f.csv")
    for i in range(0, n, chunk):
        by_chunks.add_columns(lines[i:i + chunk], {c: v[i:i + chunk] for c, v in cols.items()})
    assert _outcome(by_chunks) == _outcome(by_rows)


def test_a_frame_refuses_true_as_a_variable() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": [True, False], "source": ["a", "b"], "value": [1.0, 2.0]})
    with pytest.raises(cr.ClaimFileError, match="row 0, column 'variable': expected a string "
                       r"or an integer \(got True\)") as info:
        cr.reconcile_all(frame)
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(("cells", "dtype", "got"), [
    (["2024-01-01", "2024-01-02"], "datetime64[ns]", "Timestamp('2024-01-01 00:00:00')"),
    (["1 day", "2 days"], "timedelta64[ns]", "Timedelta('1 days 00:00:00')"),
    ([1 + 1j, 2 + 0j], "complex128", "(1+1j)"),
    ([np.bool_(True), "w"], object, "np.True_"),
    ([np.float32(2.5), "w"], object, "np.float32(2.5)"),
    ([datetime.date(2024, 1, 1), "w"], object, "datetime.date(2024, 1, 1)"),
])
def test_a_frame_variable_that_is_no_text_nor_integer_is_refused(
        cells: list[object], dtype: object, got: str) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": pd.Series(cells, dtype=dtype), "source": ["a", "b"],
                          "value": [1.0, 2.0]})
    with pytest.raises(cr.ClaimFileError, match=re.escape(
            f"row 0, column 'variable': expected a string or an integer (got {got})")):
        cr.ClaimTable.from_pandas(frame)


def test_whole_float_variable_keys_are_integer_keys() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": [2.0, 3.0, 2.0, -0.0], "source": ["a", "b", "c", "d"],
                          "value": [1.0, 2.0, 3.0, 4.0]})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.variables == (2, 3, 0) and table.variable.tolist() == [0, 1, 0, 2]
    assert table.variable_keys is not None and table.variable_keys.dtype == np.int64


def test_numpy_integers_in_an_object_variable_column_are_integer_keys() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": pd.Series([np.int64(5), "x", np.float64(7.0), 5],
                                                dtype=object),
                          "source": ["a", "b", "c", "d"], "value": [1.0, 2.0, 3.0, 4.0]})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.variables == (5, "x", 7) and table.variable.tolist() == [0, 1, 2, 0]
    assert cr.reconcile_all(frame, "range")[5].upper == 4.0


def test_arrow_dates_in_a_frame_are_read_as_the_arrow_table_reads_them() -> None:
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    arrow = pa.table({"variable": ["x", "x"], "source": ["a", "b"], "value": [1.0, 2.0],
                      "as_of": pa.array([datetime.date(2024, 1, 1), None], pa.date32())})
    frame = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    assert str(frame["as_of"].dtype) == "date32[day][pyarrow]"
    table = cr.ClaimTable.from_pandas(frame)
    assert table.as_of.tolist() == cr.ClaimTable.from_arrow(arrow).as_of.tolist()
    assert table.to_claims()[0].as_of == datetime.date(2024, 1, 1)


def test_a_frame_via_of_pandas_na_is_no_outlet() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["t", "t"], "source": ["a", "b"], "value": [1.0, 2.0],
                          "via": pd.array(["Reuters", None], dtype="string")})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.via == (("Reuters",), ())


@pytest.mark.parametrize("column", ["source", "unit", "source_name", "quote", "as_of"])
def test_a_parquet_list_where_a_text_belongs_is_refused(tmp_path: Path, column: str) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    cols = {"variable": pa.array(["t", "t"]), "source": pa.array(["a", "b"]),
            "value": pa.array([1.0, 2.0]), column: pa.array([["x"], ["y"]])}
    p = tmp_path / "lists.parquet"
    pq.write_table(pa.table(cols), p)
    with pytest.raises(cr.ClaimFileError, match=f"row 0, column '{column}': expected a text"
                       ) as info:
        cr.read_claims(p)
    assert str(info.value).startswith(str(p))  # the file is named, for dates too


def test_a_damaged_parquet_file_is_a_claim_file_error(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "bad.parquet"
    not_utf8 = pa.array([b"a", b"\xff"], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"variable": ["t", "t"], "source": not_utf8, "value": [1.0, 2.0]}), p)
    with pytest.raises(cr.ClaimFileError, match="Invalid UTF8"):
        cr.read_claims(p)
    with pytest.raises(cr.ClaimFileError, match="not valid"):
        cr.ClaimTable.from_arrow(pq.read_table(p))
    t = pa.table({"variable": ["t"], "source": ["a"], "value": [1.0]})
    for metadata in (b"{broken", b"{}"):  # pandas' own metadata, damaged
        pq.write_table(t.replace_schema_metadata({b"pandas": metadata}), p)
        with pytest.raises(cr.ClaimFileError, match="cannot read the file as Parquet"):
            cr.read_claims(p)


def test_a_json_escape_of_half_a_character_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "half.jsonl",
               '{"variable": "t\\ud800", "source": "a", "value": 1}\n'
               '{"variable": "t\\ud83d\\ude00", "source": "a", "value": 1}\n')
    with pytest.raises(cr.ClaimFileError, match="line 1, column 'variable': not text"):
        cr.read_claims(p)
    p.write_text('{"variable": "t\\ud83d\\ude00", "source": "a", "value": 1}\n',
                 encoding="utf-8")
    assert cr.read_claims(p).variables == ("t\U0001f600",)  # a whole pair is one character


def test_reading_and_writing_leave_the_garbage_collector_as_they_found_it(
    tmp_path: Path,
) -> None:
    # Files are read and written with Python's cyclic collector paused; it must run
    # again afterwards (also after a bad file), and stay off if it was off.
    import gc

    good = _write(tmp_path, "good.csv", "variable,source,value\nv,a,1\n")
    bad = _write(tmp_path, "bad.csv", "variable,source,value\nv,a,x\n")
    assert gc.isenabled()
    cr.read_claims(good).write(tmp_path / "out.jsonl")
    with pytest.raises(cr.ClaimFileError):
        cr.read_claims(bad)
    assert gc.isenabled()
    gc.disable()
    try:
        cr.read_claims(good)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_list_name_one_source_repeats_is_refused_by_row(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "names.parquet"
    pq.write_table(pa.table({"variable": ["t", "u"], "source": ["a", "a"], "value": [1.0, 2.0],
                             "source_name": pa.array([["A"], ["A"]])}), p)
    with pytest.raises(cr.ClaimFileError, match="row 0, column 'source_name': expected a text"):
        cr.read_claims(p)


def test_every_bad_via_of_a_frame_is_named() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": list("abcd"), "source": list("stst"),
                          "value": [1.0, 2.0, 3.0, 4.0],
                          "via": pd.Series(["AP", 5, "AP", 7], dtype=object)})
    with pytest.raises(cr.ClaimFileError, match="row 1, column 'via'") as info:
        cr.reconcile_all(frame)
    assert [loc for loc, _, _ in info.value.problems] == ["row 1", "row 3"]


def test_a_source_defined_twice_is_named_by_its_id() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["a", "b"], "source": [0, 0], "value": [1.0, 2.0],
                          "source_name": ["S", "T"]})
    with pytest.raises(cr.ClaimFileError, match="source '0' is defined differently"):
        cr.reconcile_all(frame)


def _through(table: cr.ClaimTable, form: str, tmp_path: Path) -> cr.ClaimTable:
    """``table`` after a round trip through a frame or a file of ``form``."""
    pytest.importorskip("pandas")
    if form == "parquet":
        pytest.importorskip("pyarrow")
    if form == "frame":
        return cr.ClaimTable.from_pandas(table.to_pandas())
    path = tmp_path / f"claims.{form}"
    table.write(path)
    return cr.read_claims(path)


@pytest.mark.parametrize("form", ["frame", "csv", "jsonl", "parquet"])
def test_blank_texts_reconcile_alike_from_claims_frames_and_files(form: str,
                                                                 tmp_path: Path) -> None:
    # A blank document or unit reads as none from every format; a Claim made with one
    # holds None too, so the same claims give the same estimate and the same account
    # (the repeat of b.txt is set aside whichever form they come in).
    s, t = cr.Source(id="s"), cr.Source(id="t")
    claims = [cr.Claim(variable="v", quantity=cr.Quantity(value=5), source=s, document="b.txt"),
              cr.Claim(variable="v", quantity=cr.Quantity(value=5), source=s, document=""),
              cr.Claim(variable="v", quantity=cr.Quantity(value=6, unit=" "), source=t),
              cr.Claim(variable="v", quantity=cr.Quantity(value=7, unit="km"), source=t,
                       document="c.txt")]
    data = _through(cr.ClaimTable.from_claims(claims), form, tmp_path)
    want, got = cr.reconcile_all(claims, "weighted")["v"], cr.reconcile_all(data, "weighted")["v"]
    assert (got.lower, got.value, got.upper, got.unit) == (want.lower, want.value, want.upper,
                                                          want.unit) == (6.0, 6.0, 6.0, "km")
    assert [c.claim for c in got.contributions] == [c.claim for c in want.contributions]
    assert [(x.claim, x.reason) for x in got.excluded] == [(x.claim, x.reason)
                                                           for x in want.excluded]


@pytest.mark.parametrize("form", ["frame", "csv", "jsonl", "parquet"])
def test_expert_quantiles_survive_every_format(form: str, tmp_path: Path) -> None:
    # Two claims of one expert that differ only in their quantiles are two claims, and
    # a third without quantiles another: a frame or file keeps all three apart.
    e = cr.Source(id="expert")
    claims = [cr.Claim(variable="v", source=e, quantity=cr.Quantity(
                  value=5, lower=1, upper=9, quantiles=[(0.05, 1), (0.5, 5), (0.95, 9)])),
              cr.Claim(variable="v", source=e, quantity=cr.Quantity(value=5, lower=1, upper=9)),
              cr.Claim(variable="v", source=e, quantity=cr.Quantity(
                  value=5, lower=1, upper=9, quantiles=[(0.05, 2.5), (0.5, 5), (0.95, 1e300)]))]
    back = _through(cr.ClaimTable.from_claims(claims), form, tmp_path)
    assert back.to_claims() == claims
    assert not cr.reconcile_all(back, "weighted")["v"].excluded  # no repeat among them


def test_csv_quantiles_are_probability_value_pairs(tmp_path: Path) -> None:
    path = _write(tmp_path, "experts.csv", "variable,source,lower,value,upper,quantiles\n"
                  "v,a,1,5,9,0.05:1; 0.5:5; 0.95:9\nv,b,2,4,8,0.95:8;0.05:2;0.5:4\nv,c,3,,,\n")
    qs = [c.quantity.quantiles for c in cr.read_claims(path).to_claims()]
    assert qs == [((0.05, 1.0), (0.5, 5.0), (0.95, 9.0)),
                  ((0.05, 2.0), (0.5, 4.0), (0.95, 8.0)), None]


def test_bad_frame_quantiles_are_named_by_row() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["v"] * 4, "source": list("abcd"), "value": [1.0] * 4,
                          "quantiles": [[(0.5, 1.0)], None, "0.5", [(0.5, 2.0), (0.5, 3.0)]]})
    with pytest.raises(cr.ClaimFileError) as info:
        cr.ClaimTable.from_pandas(frame)
    assert [(p[0], p[1]) for p in info.value.problems] == [("row 2", "quantiles"),
                                                          ("row 3", "quantiles")]
    assert "quantile probability 0.5 is given twice" in info.value.problems[1][2]


@pytest.mark.parametrize("cell", [np.array(0.5), np.ma.masked, "pandas Series", b"0.5:1"])
def test_a_quantiles_cell_of_another_kind_is_refused_not_read_as_none(cell: object) -> None:
    pd = pytest.importorskip("pandas")
    if cell == "pandas Series":
        cell = pd.Series([[0.5, 1.0]])
    frame = pd.DataFrame({"variable": ["x", "y"], "source": ["a", "a"], "value": [1.0, 1.0],
                          "quantiles": pd.Series([None, None], dtype=object),
                          "document": pd.Series([None, None], dtype=object)})
    frame.at[1, "quantiles"] = cell
    with pytest.raises(cr.ClaimFileError, match=r"row 1, column 'quantiles': (expected|quant)"):
        cr.ClaimTable.from_pandas(frame)
    frame.at[1, "quantiles"] = None
    frame.at[0, "document"] = pd.Series(["d.txt"])  # no text: not read as its repr
    with pytest.raises(cr.ClaimFileError, match=r"row 0, column 'document': expected a text"):
        cr.ClaimTable.from_pandas(frame)


def test_a_frame_names_its_first_bad_cell_whatever_the_column(tmp_path: Path) -> None:
    # The first bad row, as a CSV file of the same rows reports it, with a note for
    # the next: frames checked some columns only after the others had passed.
    pd = pytest.importorskip("pandas")
    n = 40
    frame = pd.DataFrame({"variable": [f"v{i}" for i in range(n)], "source": ["a"] * n,
                          "value": pd.Series([1.0] * n, dtype=object),
                          "quantiles": pd.Series([None] * n, dtype=object),
                          "via": pd.Series([None] * n, dtype=object)})
    frame.at[0, "quantiles"] = "0.5:1:2"
    frame.at[5, "via"] = 7
    frame.at[20, "value"] = "many"
    with pytest.raises(cr.ClaimFileError) as info:
        cr.ClaimTable.from_pandas(frame)
    assert [(loc, col) for loc, col, _ in info.value.problems] == [
        ("row 0", "quantiles"), ("row 5", "via"), ("row 20", "value")]
    path = tmp_path / "claims.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(cr.ClaimFileError) as from_csv:
        cr.read_claims(path)
    assert [col for _, col, _ in from_csv.value.problems] == ["quantiles", "value"]


def test_numpy_figures_in_a_table_are_written_as_plain_numbers(tmp_path: Path) -> None:
    one = cr.ClaimTable.from_claims([cr.Claim(variable="v", source=cr.Source(id="a"),
                                              quantity=cr.Quantity(value=1.5))])
    raw = cr.ClaimTable(
        variable=one.variable, variables=one.variables, source=one.source,
        sources=one.sources, lower=one.lower, value=one.value, upper=one.upper,
        quantiles=[((np.float64(0.5), np.float64(1.5)),)])
    for form in ("csv", "jsonl"):
        raw.write(tmp_path / f"claims.{form}")
        back = cr.read_claims(tmp_path / f"claims.{form}")
        assert back.quantiles == (((0.5, 1.5),),)
    assert "0.5:1.5" in (tmp_path / "claims.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("form", ["frame", "csv", "jsonl", "parquet"])
def test_a_source_kind_survives_every_format(form: str, tmp_path: Path) -> None:
    gov = cr.Source(id="kr-mnd", name="Defense Ministry", kind="government", reliability=0.9)
    claims = [cr.Claim(variable="troops", quantity=cr.Quantity(value=12_000), source=gov),
              cr.Claim(variable="troops", quantity=cr.Quantity(value=14_000),
                       source=cr.Source(id="nis")),
              cr.Claim(variable="dead", quantity=cr.Quantity(value=1_200), source=gov)]
    assert _through(cr.ClaimTable.from_claims(claims), form, tmp_path).to_claims() == claims


@pytest.mark.parametrize("rows", [3, 70_000])  # row by row; a chunk column by column first
@pytest.mark.parametrize(("first", "filler", "other"), [
    ("agency", "agency", "person"),
    ("agency", "", ""),  # a kind, then none: past the first chunk, a chunk with no kinds
])
def test_a_source_given_two_kinds_is_refused_at_its_line(
        rows: int, first: str, filler: str, other: str, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    lines = ["variable,source,value,source_kind", f"v,s,0,{first}"]
    lines += [f"v{i},s{'' if filler else i},{i},{filler}" for i in range(rows - 2)]
    lines += [f"w,s,1,{other}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(cr.ClaimFileError) as info:
        cr.read_claims(path)
    assert str(info.value).startswith(f"{path}, line {rows + 1}, column 'source_kind': "
                                      "source 's' is defined differently at line 2")


def test_a_frame_source_given_two_kinds_is_refused_by_row() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["a", "b", "c"], "source": ["s", "s", "t"],
                          "value": [1.0, 2.0, 3.0],
                          "source_kind": ["agency", "person", None]})
    with pytest.raises(cr.ClaimFileError, match=r"row 1, column 'source_kind': source 's' "
                                                r"is defined differently"):
        cr.ClaimTable.from_pandas(frame)
    frame.loc[1, "source_kind"] = "agency"
    table = cr.ClaimTable.from_pandas(frame)
    assert [(s.id, s.kind) for s in table.sources] == [("s", "agency"), ("t", None)]


def _columns(**change: object) -> dict[str, object]:
    """The columns of a valid table of three claims of one variable, with ``change``."""
    cols: dict[str, object] = {
        "variable": np.zeros(3, np.int64), "variables": ["v"],
        "source": np.arange(3), "sources": [cr.Source(id=f"s{i}") for i in range(3)],
        "lower": np.array([1.0, 2.0, -np.inf]), "value": np.array([1.5, np.nan, 3.0]),
        "upper": np.array([2.0, np.inf, 4.0]),
    }
    cols.update(change)
    return cols


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"lower": np.array([1.0, np.nan, 0.0])}, cr.InvalidQuantityError, "row 1: lower nan"),
    ({"upper": np.array([2.0, 1.0, 4.0])}, cr.InvalidQuantityError,
     "row 1: lower 2.0 and upper 1.0"),
    ({"lower": np.array([1.0, np.inf, 0.0])}, cr.InvalidQuantityError, "row 1: lower inf"),
    ({"upper": np.array([2.0, np.inf, -np.inf])}, cr.InvalidQuantityError, "row 2"),
    ({"value": np.array([1.5, np.nan, 5.0])}, cr.InvalidQuantityError, "row 2: value 5.0 lies"),
    ({"value": np.array([np.inf, np.nan, 3.0])}, cr.InvalidQuantityError, "row 0: value inf"),
    ({"source": np.array([0, 3, 1])}, ValueError, "'source' holds the code 3 at row 1"),
    ({"source": np.array([0, -1, 1])}, ValueError, "'source' holds the code -1 at row 1"),
    ({"variable": np.array([0, 0, 1])}, ValueError, "'variable' holds the code 1 at row 2"),
    ({"unit": np.array([-1, 0, -1])}, ValueError, "'unit' holds the code 0 at row 1"),
    ({"weight": np.array([1.0, -0.5, 1.0])}, ValueError, "row 1: weight -0.5"),
    ({"weight": np.array([1.0, 0.0, 1.0])}, ValueError, "row 1: weight 0.0 is not"),
    ({"lower": np.array([1.0, -np.inf, -np.inf]), "upper": np.array([2.0, np.inf, 4.0])},
     cr.InvalidQuantityError, "row 1: no bound"),
    ({"weight": np.array([1.0, 1.0, np.nan])}, ValueError, "row 2: weight nan"),
    ({"confidence": np.array([np.nan, 1.0, 0.5])}, cr.InvalidQuantityError,
     "row 1: confidence 1.0"),
])
def test_a_table_built_from_columns_refuses_what_is_no_claim(
        change: dict[str, object], error: type[Exception], message: str) -> None:
    """Columns given straight to the constructor are checked as a reader checks a file:
    a NaN bound or a code past its tuple made wrong numbers (a source code of -1 read
    the last source's reliability), never an error."""
    with pytest.raises(error, match=re.escape(message)):
        cr.ClaimTable(**_columns(**change))  # type: ignore[arg-type]


def test_a_valid_table_from_columns_reconciles() -> None:
    table = cr.ClaimTable(**_columns(weight=np.array([1.0, 0.5, 2.0]),  # type: ignore[arg-type]
                                     confidence=np.array([np.nan, 0.9, 0.5])))
    est = cr.reconcile_all(table, "range")["v"]
    assert est.lower is None and est.upper is None  # open on both sides
    assert est.n_used == 3


def test_a_table_from_columns_names_the_first_bad_row_whatever_the_problem() -> None:
    with pytest.raises(cr.InvalidQuantityError, match="row 0: lower nan"):
        cr.ClaimTable(**_columns(lower=np.array([np.nan, 2.0, -np.inf]),  # type: ignore[arg-type]
                                 source=np.array([0, 5, 1])))


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"variables": ["v", "v"]}, ValueError, "variables lists 'v' twice"),
    ({"sources": [cr.Source(id="s0"), cr.Source(id="s1"), cr.Source(id="s0")]},
     cr.InconsistentSourceError, "the id 's0' twice"),
    ({"document": ["only one"]}, ValueError, "column 'document' has 1 rows, expected 3"),
    ({"quantiles": [None]}, ValueError, "column 'quantiles' has 1 rows"),
])
def test_a_table_from_columns_refuses_lists_that_do_not_fit(
        change: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        cr.ClaimTable(**_columns(**change))  # type: ignore[arg-type]


@pytest.mark.parametrize(("unit", "times", "bad"), [
    ("s", ["2024-01-01", "300000-01-01", "NaT"], 1),  # wrapped to the year -284555
    ("s", ["2024-01-01", "586566-01-01"], 1),  # wrapped to a date in 2024
    ("us", ["NaT", "12000-01-01"], 1),
    ("s", ["-0005-01-01", "2024-01-01"], 0),
])
def test_a_frame_time_outside_the_years_a_claim_holds_is_refused(
        unit: str, times: list[str], bad: int) -> None:
    """A datetime column of seconds reaches far past the microseconds a table holds:
    such a time wrapped around silently. Years 1 to 9999 are what a claim's date and
    the files' ISO dates hold; anything else is named, row and column."""
    pd = pytest.importorskip("pandas")
    n = len(times)
    df = pd.DataFrame({"variable": ["v"] * n, "source": [f"s{i}" for i in range(n)],
                       "value": [1.0] * n,
                       "as_of": pd.Series(np.array(times, dtype=f"datetime64[{unit}]"))})
    with pytest.raises(cr.ClaimFileError, match=re.escape(f"row {bad}, column 'as_of': "
                                                          "expected a time from year 1")):
        cr.ClaimTable.from_pandas(df)


def test_frame_times_at_the_ends_of_the_years_are_kept() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v", "v", "v"], "source": ["a", "b", "c"],
                       "value": [1.0, 2.0, 3.0],
                       "published": pd.Series(np.array(
                           ["0001-01-01", "9999-12-31T23:59:59", "NaT"], "datetime64[s]"))})
    claims = cr.ClaimTable.from_pandas(df).to_claims()
    assert [c.published for c in claims] == [
        datetime.date(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59), None]


@given(_CLAIMS)
def test_the_columns_of_any_valid_claims_pass_the_tables_check(claims: list[cr.Claim]) -> None:
    """What from_claims builds from valid claims, given straight to the constructor
    (where the columns are checked), is accepted, and is the same table."""
    built = cr.ClaimTable.from_claims(claims)
    again = cr.ClaimTable(
        variable=built.variable, variables=built.variables, source=built.source,
        sources=built.sources, lower=built.lower, value=built.value, upper=built.upper,
        unit=built.unit, units=built.units, confidence=built.confidence,
        weight=built.weight, as_of=built.as_of, published=built.published, via=built.via,
        document=built.document, quote=built.quote, phrase=built.phrase,
        quantiles=built.quantiles)
    assert again.to_claims() == built.to_claims() == claims


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_lists(min_size=1, max_size=12),
       st.sampled_from(["weighted", "recency", "range", "median", "intersection"]))
def test_a_frame_of_claims_that_state_every_figure_spares_the_kernels_passes(
    claims: list[cr.Claim], strategy: str,
) -> None:
    """A frame's reader notes whether every claim states a value and two finite
    bounds (found in the pass that checks their order); kernels then skip their
    passes for missing values and open sides. The estimates are those of a table
    whose reader did not say."""
    pytest.importorskip("pandas")
    frame = cr.ClaimTable.from_claims(claims).to_pandas()
    table = cr.ClaimTable.from_pandas(frame)
    closed = all(None not in (c.quantity.lower, c.quantity.value, c.quantity.upper)
                 for c in claims)
    assert table._closed is closed
    unknown = cr.ClaimTable.from_pandas(frame)
    unknown._closed = None
    got = cr.reconcile_all(table, strategy, on_error="collect")
    want = cr.reconcile_all(unknown, strategy, on_error="collect")
    assert got.to_pandas().equals(want.to_pandas())
    assert got.claims_to_pandas().equals(want.claims_to_pandas())


@pytest.mark.parametrize(("columns", "closed"), [
    ({"lower": [1.0, 2.0], "value": [2.0, 2.0], "upper": [3.0, 2.0]}, True),
    ({"lower": [1.0, 2.0], "value": [2.0, None], "upper": [3.0, 2.0]}, False),
    ({"lower": [1.0, None], "value": [2.0, 2.0], "upper": [3.0, 2.0]}, False),
    ({"value": [2.0, 2.0]}, True),  # points: each value is both bounds
    ({"lower": [1.0, 2.0], "value": [2.0, 2.0], "upper": [None, 2.0]}, False),
    ({"lower": [1.0, 2.0], "value": [2.0, 2.0]}, False),
])
def test_only_a_frame_stating_every_figure_of_every_row_is_noted_as_closed(
    columns: dict[str, list[object]], closed: bool,
) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["v", "v"], "source": ["a", "b"], **columns})
    assert cr.ClaimTable.from_pandas(frame)._closed is closed


@pytest.mark.parametrize(("column", "meant"), [
    ("reliability", "source_reliability"), ("sourcereliability", "source_reliability"),
    ("asof", "as_of"), ("uper", "upper"), ("values", "value"), ("units", "unit"),
    ("valeu", "value"), ("As Of", "as_of"),
])
def test_a_column_a_letter_or_two_off_a_schema_column_is_refused(
    tmp_path: Path, column: str, meant: str,
) -> None:
    """Read as it is, the column would be ignored and its figures lost (weights, dates,
    bounds): it is refused with the name it nearly is, in files and frames alike."""
    text = f"variable,source,lower,{column}\nt,a,11000,0.5\n"
    with pytest.raises(cr.ClaimFileError, match=f"did you mean {meant!r}"):
        cr.read_claims(_write(tmp_path, "c.csv", text))
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["t"], "source": ["a"], "lower": [11000.0],
                          column: [0.5]})
    with pytest.raises(cr.ClaimFileError, match=f"did you mean {meant!r}"):
        cr.ClaimTable.from_pandas(frame)


@pytest.mark.parametrize("column", ["notes", "source_id", "name", "kind", "lower_bound",
                                    "sources", "id", "published_at"])
def test_other_extra_columns_are_still_ignored(tmp_path: Path, column: str) -> None:
    text = f"variable,source,value,{column}\nt,a,12000,x\n"
    assert len(cr.read_claims(_write(tmp_path, "c.csv", text))) == 1


def test_a_row_of_the_wrong_width_is_named_with_every_other_bad_row(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv", "variable,source,value\nt,a,x\nt,b\nt,c,y\nt,d,1,2\n")
    with pytest.raises(cr.ClaimFileError) as info:
        cr.read_claims(p)
    assert [(loc, msg) for loc, _, msg in info.value.problems] == [
        ("line 2", "expected a number (got 'x')"),
        ("line 3", "2 cells where the header has 3 columns"),
        ("line 4", "expected a number (got 'y')"),
        ("line 5", "4 cells where the header has 3 columns"),
    ]


def test_a_file_that_is_not_there_is_named_so_whatever_its_suffix(tmp_path: Path) -> None:
    for name in ("claims_typo", "claims.csv", "claims.parquet"):
        with pytest.raises(cr.ClaimFileError, match="no such file"):
            cr.read_claims(tmp_path / name)


def test_one_edit_is_the_optimal_string_alignment_distance_of_one() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from claimrecon._io import _one_edit

    def distance(a: str, b: str) -> int:
        d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                              d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        return d[-1][-1]

    words = st.text(alphabet="abc_", max_size=6)

    @settings(max_examples=500, deadline=None)
    @given(words, words)
    def check(a: str, b: str) -> None:
        assert _one_edit(a, b) == (distance(a, b) == 1)

    check()
