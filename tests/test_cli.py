"""The claimrecon command: demo, reconcile, strategies, parse; exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pluggy
import pytest
from click.testing import CliRunner

import claimrecon as cr
from claimrecon._cli import main

CSV = """variable,source,value,lower,upper,unit,as_of,via
troops,kr-mnd,12000,,,troops,2024-10-18,Reuters
troops,ua,14000,12600,15400,troops,2025-04-28,
casualties,us,1200,,,,2025-04-28,
casualties,ua,,,4000,,2025-04-28,
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_strategies_lists_the_builtins_with_summaries() -> None:
    code, out = run("strategies")
    assert code == 0
    for name in ("range", "intersection", "weighted", "median", "recency"):
        assert name in out
    assert "Marzullo" in out


def test_reconcile_a_csv_file_as_a_table(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text(CSV, encoding="utf-8")
    code, out = run("reconcile", str(p), "--strategy", "range")
    assert code == 0
    assert "12,000 to 15,400 troops" in out
    assert "at most 4,000" in out


def test_reconcile_as_json_and_markdown(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text(CSV, encoding="utf-8")
    code, out = run("reconcile", str(p), "-s", "median", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [e["variable"] for e in data["estimates"]] == ["troops", "casualties"]
    code, out = run("reconcile", str(p), "-s", "median", "--format", "markdown")
    assert code == 0
    assert out.splitlines()[0].startswith("| variable | strategy | estimate")


def test_reconcile_maps_column_names(tmp_path: Path) -> None:
    p = tmp_path / "claims.jsonl"
    p.write_text('{"what": "x", "who": "a", "figure": 3}\n{"what": "x", "who": "b", "figure": 5}\n',
                 encoding="utf-8")
    code, out = run("reconcile", str(p), "-c", "variable=what", "-c", "source=who",
                    "--column", "value=figure", "-f", "json")
    assert code == 0
    assert json.loads(out)["estimates"][0]["value"] == 4


def test_bad_data_exits_1_naming_file_line_and_column_without_traceback(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("variable,source,value\nv,a,1\nv,b,twelve\n", encoding="utf-8")
    code, out = run("reconcile", str(p))
    assert code == 1
    assert f"{p}, line 3, column 'value': expected a number (got 'twelve')" in out
    assert "Traceback" not in out


def test_a_missing_file_is_bad_data_and_bad_options_are_bad_usage(tmp_path: Path) -> None:
    code, out = run("reconcile", str(tmp_path / "nope.csv"))
    assert code == 1
    assert "cannot open the file" in out
    code, _ = run("reconcile", str(tmp_path / "x.csv"), "--format", "yaml")
    assert code == 2
    code, _ = run("reconcile", str(tmp_path / "x.csv"), "--column", "novalue")
    assert code == 2


def test_an_unknown_strategy_exits_1_listing_the_available(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text(CSV, encoding="utf-8")
    code, out = run("reconcile", str(p), "-s", "avg")
    assert code == 1
    assert "unknown strategy 'avg'" in out


@pytest.mark.parametrize("options", [(), ("-o", "x=1")])
def test_a_strategy_two_plugins_provide_exits_1_naming_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pm: pluggy.PluginManager,
        options: tuple[str, ...]) -> None:
    from claimrecon import _plugins

    class Clash:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="weighted", summary="A second 'weighted'.",
                                function=lambda claims, weights: None)]

    cr.register(Clash(), name="clash", plugin_manager=pm)
    monkeypatch.setattr(_plugins, "_default", pm)
    p = tmp_path / "claims.csv"
    p.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["reconcile", str(p), *options])
    assert result.exit_code == 1 and not isinstance(result.exception, cr.ClaimreconError)
    assert "error: strategy 'weighted' is provided by several plugins" in result.output
    assert "clash" in result.output


def test_parse_shows_how_a_phrase_is_read() -> None:
    code, out = run("parse", "up to about 15,000")
    assert code == 0
    assert "at most 15,000" in out
    code, out = run("parse", "the troops")
    assert code == 1


def test_demo_shows_every_variable_with_claims_and_estimates() -> None:
    from claimrecon._seeds import load_seed_claims

    claims = load_seed_claims()
    code, out = run("demo")
    assert code == 0, out
    for variable in {c.variable for c in claims}:
        assert str(variable) in out
    for name in ("range", "intersection", "weighted", "median", "recency"):
        assert name in out
    assert "repeats" in out  # the Ukrainian 14,000 carried by two articles counts once


def test_report_writes_html_and_markdown_for_the_demo(tmp_path: Path) -> None:
    import pytest

    pytest.importorskip("matplotlib")
    code, out = run("report", "demo", "--out", str(tmp_path / "rep"))
    assert code == 0, out
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "nk-troops-sent" in html and "<svg" in html
    assert (tmp_path / "rep" / "report.md").exists()


def test_report_of_a_bad_file_exits_1(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("variable,source,value\nv,a,x\n", encoding="utf-8")
    code, out = run("report", str(p), "--out", str(tmp_path / "rep"))
    assert code == 1
    assert "line 2, column 'value'" in out


def test_report_exits_1_naming_a_variable_no_strategy_could_estimate(tmp_path: Path) -> None:
    """The reports are written (the variable's section says why), but a variable with
    no estimate at all is bad data: the command says which and exits with 1."""
    import pytest

    pytest.importorskip("matplotlib")
    p = tmp_path / "c.csv"
    p.write_text("variable,source,value,unit\nmixed,a,1,km\nmixed,b,2,kg\nfine,a,3,\n",
                 encoding="utf-8")
    code, out = run("report", str(p), "--out", str(tmp_path / "rep"))
    assert code == 1, out
    line = next(x for x in out.splitlines() if x.startswith("mixed:"))
    assert "no strategy could estimate it" in line and "'kg'" in line  # one line
    assert "fine:" not in out
    page = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "fine" in page and "mixed" in page


def test_json_is_written_one_estimate_at_a_time_as_json_dumps_would(tmp_path: Path) -> None:
    import claimrecon as cr

    path = tmp_path / "c.csv"
    path.write_text("variable,source,value,unit\na,x,1,km\na,y,2,kg\nb,x,3,\nb,y,4,\nc,z,5,\n",
                    encoding="utf-8")
    code, out = run("reconcile", str(path), "-f", "json", "--collect-errors")
    es = cr.reconcile_all(cr.read_claims(path), on_error="collect")
    expected = json.dumps({
        "estimates": [e.to_dict() for e in es.values()],
        "errors": [{"variable": v, "error": str(err)} for v, err in es.errors.items()],
    }, indent=2, ensure_ascii=False)
    assert out.startswith(expected + "\n")
    assert code == 1  # a variable failed (the units disagree)


def test_json_stays_json_when_texts_hold_unicode_line_separators(tmp_path: Path) -> None:
    # json.dumps leaves U+2028 and U+0085 as they are; a line split there would put a
    # raw line break inside a JSON string
    path = tmp_path / "c.jsonl"
    rows = [{"variable": "caf\u0085e", "source": "a", "value": 1.0},
            {"variable": "v", "source": "b", "value": 2.0, "quote": "a\u2028b\u2029c"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out = run("reconcile", str(path), "-f", "json")
    estimates = json.loads(out)["estimates"]
    assert code == 0 and [e["variable"] for e in estimates] == ["caf\u0085e", "v"]
    assert estimates[1]["contributions"][0]["claim"]["quote"] == "a\u2028b\u2029c"


def test_the_heading_counts_in_the_singular_and_names_failed_variables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import claimrecon._cli as cli

    path = _file(tmp_path, "c.csv", "variable,source,value,unit\na,x,1,\nb,x,3,km\nb,y,4,kg\n")
    code, out = run("reconcile", str(path), "--collect-errors")
    assert code == 1
    assert "3 claims, 2 variables (1 failed), strategy 'weighted'" in " ".join(out.split())
    monkeypatch.setattr(cli, "DRAWN_TABLE_ROWS", 0)  # (the plain columns' heading)
    one = _file(tmp_path, "one.csv", "variable,source,value\na,x,1\n")
    heading = run("reconcile", str(one))[1].splitlines()[0]
    assert heading == "1 claim, 1 variable, strategy 'weighted'"


def test_many_variables_print_as_plain_columns_every_one_of_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import claimrecon._cli as cli

    monkeypatch.setattr(cli, "DRAWN_TABLE_ROWS", 2)
    path = tmp_path / "c.csv"
    path.write_text("variable,source,value\na,x,1\nb,x,2\nc,x,3\n", encoding="utf-8")
    code, out = run("reconcile", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "variable\testimate\tused\texcluded\tconflict"
    assert [ln.split("\t")[:2] for ln in lines[2:]] == [["a", "1"], ["b", "2"], ["c", "3"]]


def test_tabs_and_line_breaks_in_names_do_not_break_the_plain_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import claimrecon._cli as cli

    monkeypatch.setattr(cli, "DRAWN_TABLE_ROWS", 2)
    path = tmp_path / "c.jsonl"
    rows = [{"variable": "has\ttab", "source": "a", "value": 1.0, "unit": "a\tb"},
            {"variable": "has\nbreak", "source": "a", "value": 2.0},
            {"variable": "has\r\nboth\t", "source": "a", "value": 3.0},
            {"variable": "bad\tunits", "source": "a", "value": 4.0, "unit": "km"},
            {"variable": "bad\tunits", "source": "b", "value": 5.0, "unit": "k\ng"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out = run("reconcile", str(path), "--collect-errors")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 + 4 and all(len(ln.split("\t")) == 5 for ln in lines[1:5])
    assert [ln.split("\t")[:2] for ln in lines[2:5]] == [
        ["has\\ttab", "1 a\\tb"], ["has\\nbreak", "2"], ["has\\r\\nboth\\t", "3"]]
    variable, error = lines[5].split("\t")
    assert variable == "bad\\tunits" and "units that cannot be reconciled" in error


def test_json_errors_keep_variables_that_print_alike(tmp_path: Path) -> None:
    # The variables 1 and "1" differ; as keys of a JSON object they would meet and
    # one error would be lost.
    p = tmp_path / "c.jsonl"
    rows = [{"variable": v, "source": s, "value": 1.0, "unit": u}
            for v in (1, "1") for s, u in (("a", "km"), ("b", "kg"))]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out = run("reconcile", str(p), "-f", "json", "--collect-errors")
    errors = json.loads(out)["errors"]
    assert code == 1 and [e["variable"] for e in errors] == [1, "1"]


def test_names_and_units_are_shown_as_written_not_as_markup(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("variable,source,value,unit\ndeaths [bold],a,1,[i]people\n[red]x[/red],a,3,\n",
                 encoding="utf-8")
    code, out = run("reconcile", str(p))
    assert code == 0
    assert "deaths [bold]" in out and "[i]people" in out and "[red]x[/red]" in out


def test_markdown_gives_the_figures_exactly(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("variable,source,value\ntroops,a,1234567\ntroops,b,1234987\nx,a,0.1\n",
                 encoding="utf-8")
    code, out = run("reconcile", str(p), "-s", "range", "-f", "markdown")
    assert code == 0
    assert "| 1234567 |  | 1234987 |" in out  # not 1.23457e+06
    assert "| 0.1 | 0.1 | 0.1 |" in out


def test_a_line_break_in_a_name_does_not_break_the_markdown_row(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"variable": "troops\nin Kursk", "source": "a", "value": 1}) + "\n",
                 encoding="utf-8")
    code, out = run("reconcile", str(p), "-f", "markdown")
    assert code == 0
    assert out.splitlines()[2].startswith("| troops\\nin Kursk | weighted |")


def test_strategy_options_are_passed_as_json_or_text(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text("variable,source,value\n" + "".join(
        f"v{i},{s},{x}\n" for i in range(4) for s, x in (("a", 10 + i), ("b", 12 + i),
                                                          ("c", 40 + i))), encoding="utf-8")
    runs = {}
    for args in ((), ("-o", "loss=squared"), ("-o", "loss=squared", "-o", "max_iter=1")):
        code, out = run("reconcile", str(p), "-s", "crh", "-f", "json", *args)
        assert code == 0, out
        runs[args] = [e["value"] for e in json.loads(out)["estimates"]]
    # squared loss takes weighted means, not weighted medians: other figures
    assert runs[()] != runs[("-o", "loss=squared")]
    assert all(10 <= x <= 43 for xs in runs.values() for x in xs)


@pytest.mark.parametrize(("args", "code", "message"), [
    # a name the strategy does not take, or no NAME=VALUE: bad usage, before any reading
    (("-o", "speed=fast"), 2, "strategy 'crh' takes no option 'speed'; its options: loss="),
    (("-o", "loss"), 2, "expected NAME=VALUE (got 'loss')"),
    (("-o", "loss=squared", "-o", "loss=absolute"), 2, "the option 'loss' is given twice"),
    # a value the strategy refuses: its own message
    (("-o", "loss=cubic"), 1, "crh: loss must be 'absolute' or 'squared' (got 'cubic')"),
    (("-o", "max_iter=-1"), 1, "max_iter must be"),
])
def test_bad_strategy_options_are_refused(tmp_path: Path, args: tuple[str, ...], code: int,
                                          message: str) -> None:
    p = tmp_path / "claims.csv"
    p.write_text(CSV, encoding="utf-8")
    got, out = run("reconcile", str(p), "-s", "crh", *args)
    assert got == code
    assert message in " ".join(out.split())


def test_truths_are_read_by_line_and_must_be_of_the_claims_variables(tmp_path: Path) -> None:
    from claimrecon._io import read_truths

    p = tmp_path / "truths.csv"
    p.write_text("variable,value,note\ntroops,12500,x\ncasualties,3000,\n", encoding="utf-8")
    assert read_truths(p) == {"troops": 12500.0, "casualties": 3000.0}
    j = tmp_path / "truths.jsonl"
    j.write_text('{"variable": 1, "value": 2.5}\n\n{"variable": "1", "value": 3}\n',
                 encoding="utf-8")
    assert read_truths(j) == {1: 2.5, "1": 3.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("variable,value\ntroops,12500\ntroops,12000\nx,\ny,many\n", encoding="utf-8")
    with pytest.raises(cr.ClaimFileError) as info:
        read_truths(bad)
    assert [(loc, col) for loc, col, _ in info.value.problems] == [
        ("line 3", "variable"), ("line 4", "value"), ("line 5", "value")]
    assert "the variable 'troops' is given twice (first at line 2)" in str(info.value)
    with pytest.raises(cr.ClaimFileError, match="required column 'value' is missing"):
        read_truths(_file(tmp_path, "t.csv", "variable,truth\nx,1\n"))
    for empty, text in (("t.jsonl", "\n"), ("t.csv", "variable,value\n")):
        with pytest.raises(cr.ClaimFileError, match="the file holds no truths"):
            read_truths(_file(tmp_path, empty, text))
    claims = _file(tmp_path, "claims.csv", CSV)
    code, out = run("reconcile", str(claims), "--truths", str(_file(
        tmp_path, "stray.csv", "variable,value\ntroops,1\ntanks,2\n")))
    assert code == 1
    assert "1 of the truths are of variables no claim is about, the first 'tanks'" in out
    code, out = run("reconcile", str(claims), "--truths", str(p), "-f", "json")
    assert code == 0  # strategies that do not calibrate on truths ignore them


def _file(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_names_are_shown_not_rendered_nor_run_by_the_terminal(tmp_path: Path) -> None:
    # A name is text: in Markdown not a link, a tag or emphasis; on a terminal no
    # escape sequence (ESC [ 31 m restyled it) nor any other control character.
    p = tmp_path / "c.jsonl"
    name = "<script>x</script> [a](http://e.com) *b* \x1b[31mred\x00"
    p.write_text(json.dumps({"variable": name, "source": "a", "value": 1}) + "\n",
                 encoding="utf-8")
    code, out = run("reconcile", str(p), "-f", "markdown")
    assert code == 0
    row = out.splitlines()[2]
    # (the escapes' backslashes are escaped too: Markdown renders them as \x1b)
    assert row.startswith(
        r"| \<script\>x\</script\> \[a\](http://e.com) \*b\* \\x1b\[31mred\\x00 |")
    for fmt in ("table", "markdown"):
        code, out = run("reconcile", str(p), "-f", fmt)
        assert "\x1b" not in out and "\x00" not in out


def test_reconcile_demo_points_to_the_commands_that_take_demo() -> None:
    code, out = run("reconcile", "demo")
    assert code != 0 and "no such file" in out and "claimrecon demo" in out


def test_a_column_mapped_twice_or_the_wrong_way_round_is_refused_with_the_form(
    tmp_path: Path,
) -> None:
    p = tmp_path / "c.csv"
    p.write_text("variable,outlet,value\nt,a,1\n", encoding="utf-8")
    code, out = run("reconcile", str(p), "-c", "source=outlet", "-c", "source=agency")
    assert code == 2 and "'source' is mapped twice" in out
    code, out = run("reconcile", str(p), "-c", "outlet=source")
    assert code != 0 and "the schema's name comes first: source=outlet?" in out
