"""Shareable reports: the HTML page (self-contained, escaped, rendered by a real browser)
and the Markdown report with its PNG charts."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pluggy
import pytest

import claimrecon as cr
from claimrecon._report import (
    BUILTIN_STRATEGIES,
    HTML_FILE,
    MARKDOWN_FILE,
    _md,
    report_command,
    write_report,
)
from claimrecon._seeds import seed_variables

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

SEEDS = cr.load_seed_claims()
VARIABLES = list(dict.fromkeys(c.variable for c in SEEDS))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the seed claims, written once for the module."""
    out = tmp_path_factory.mktemp("demo-report")
    index, failed = report_command("demo", str(out))
    assert index == out / HTML_FILE
    assert failed == {}
    return out


@pytest.fixture(scope="module")
def page(demo: Path) -> str:
    return (demo / HTML_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def markdown(demo: Path) -> str:
    return (demo / MARKDOWN_FILE).read_text(encoding="utf-8")


def sections(page: str) -> dict[str, str]:
    """Each variable's section of the page, by its data-variable attribute."""
    parts = re.split(r'(?=<section class="variable")', page)[1:]
    out = {}
    for part in parts:
        m = re.match(r'<section class="variable" id="v-[^"]+" data-variable="([^"]*)"', part)
        assert m, part[:200]
        out[html.unescape(m.group(1))] = part
    return out


# -- the HTML page ---------------------------------------------------------------------------


def test_every_variable_has_a_section_with_its_description_and_chart(page: str) -> None:
    found = sections(page)
    assert list(found) == VARIABLES
    described = seed_variables()
    for variable, section in found.items():
        assert html.escape(described[variable]) in section
        assert section.count("<svg") == 1, variable
        assert 'role="img"' in section and "</svg>" in section


def test_every_quote_and_every_claim_appears_escaped(page: str) -> None:
    for c in SEEDS:
        assert c.quote
        assert html.escape(c.quote) in page, c.quote
        assert html.escape(c.source.label) in page
        assert c.document is not None and html.escape(c.document) in page
    found = sections(page)
    for variable in VARIABLES:
        n = sum(c.variable == variable for c in SEEDS)
        assert found[variable].count('<tr class="quote">') == n


def test_each_strategy_shows_its_estimate_and_account(page: str) -> None:
    found = sections(page)
    for s in BUILTIN_STRATEGIES:
        es = cr.reconcile_all(SEEDS, s)
        for variable, e in es.items():
            section = found[str(variable)]
            assert f'<td class="estimate">{html.escape(str(e))}</td>' in section
            assert f"<pre>{html.escape(e.explain())}</pre>" in section


def test_the_summary_flags_the_conflict(page: str) -> None:
    summary = page[page.index('<table class="summary">'):page.index("</table>")]
    rows = re.findall(r"<tr><td class=\"var\">.*?</tr>", summary, re.S)
    assert len(rows) == len(VARIABLES)
    flagged = [r for r in rows if "badge conflict" in r]
    assert len(flagged) == 1 and "nk-troops-sent" in flagged[0]
    assert "12,900" in flagged[0]  # the intersection's headline figure
    assert "+2 repeated" in flagged[0]


def test_the_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "@import" not in page
    for attr, value in re.findall(r'\b((?:xlink:)?href|src)="([^"]*)"', page):
        assert value.startswith(("#", "data:")), f'{attr}="{value}" leaves the page'
    # Ids are unique, so every href="#..." inside the charts finds its own target.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    targets = set(ids)
    for ref in re.findall(r'href="#([^"]+)"', page):
        assert ref in targets, ref
    for ref in re.findall(r"url\(#([^)]+)\)", page):
        assert ref in targets, ref


def test_the_report_is_reproducible(demo: Path, tmp_path: Path) -> None:
    report_command("demo", str(tmp_path))
    for name in (HTML_FILE, MARKDOWN_FILE):
        assert (tmp_path / name).read_bytes() == (demo / name).read_bytes(), name


# -- the Markdown report ---------------------------------------------------------------------


def test_the_markdown_links_to_png_charts_that_exist(demo: Path, markdown: str) -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(images) == len(VARIABLES)
    for name in images:
        path = demo / name
        assert path.parent == demo, "charts sit next to report.md"
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_the_markdown_has_every_variable_quote_and_account(markdown: str) -> None:
    for variable in VARIABLES:
        assert f"\n## {_md(variable)}\n" in markdown
        assert f"[{_md(variable)}](#{variable})" in markdown  # the summary links to it
        assert _md(seed_variables()[variable]) in markdown
    for c in SEEDS:
        assert _md(c.quote) in markdown
    e = cr.reconcile_all(SEEDS, "recency")["nk-troops-sent"]
    assert e.explain() in markdown
    assert "**conflict**" in markdown


def test_the_markdown_tables_keep_their_columns(markdown: str) -> None:
    for block in re.findall(r"(?:^\|.*\|\n)+", markdown, re.M):
        rows = block.strip("\n").split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows[0]


# -- any claims ------------------------------------------------------------------------------


def nasty_claims() -> list[cr.Claim]:
    evil = cr.Source(id="<x>", name='<script>alert("x")</script> & Co | Ltd')
    plain = cr.Source(id="plain", name="Plain source")
    return [
        cr.Claim(variable="a<b>|c", source=evil, quantity=cr.parse_quantity("about 10"),
                 quote='He said "10 < 20" & left | *bold* `code` [link](http://example.com)',
                 phrase="about 10", document="doc<1>.txt", via=("<i>Outlet</i>",)),
        cr.Claim(variable="a<b>|c", source=plain, quantity=cr.Quantity(lower=12),
                 quote="Over 12, said <b>someone</b>.", phrase="over 12"),
        cr.Claim(variable=7, source=plain, quantity=cr.Quantity(value=3)),
    ]


def test_everything_is_escaped(tmp_path: Path) -> None:
    write_report(nasty_claims(), tmp_path, title="<Report> & such",
                 descriptions={7: "Seven <things>"})
    page = (tmp_path / HTML_FILE).read_text(encoding="utf-8")
    assert "<script" not in page and "<i>" not in page and "<b>someone" not in page
    assert "<title>&lt;Report&gt; &amp; such</title>" in page
    assert html.escape('He said "10 < 20" & left') in page
    assert "Seven &lt;things&gt;" in page
    assert 'href="http' not in page and 'src="http' not in page
    assert list(sections(page)) == ["a<b>|c", "7"]
    md = (tmp_path / MARKDOWN_FILE).read_text(encoding="utf-8")
    outside_code = re.sub(r"^```text\n.*?^```$", "", md, flags=re.S | re.M)
    assert "<script>" not in outside_code and "[link](http" not in outside_code
    assert "<script>" in md  # inside the explain() blocks: verbatim, inert
    test_the_markdown_tables_keep_their_columns(md)
    for name in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (tmp_path / name).is_file()
    assert len({p.name for p in tmp_path.glob("*.png")}) == 2


def test_chart_ids_stay_unique_when_slugs_differ_only_in_punctuation(tmp_path: Path) -> None:
    """"a.b" and "a_b" are two slugs, and their charts' element ids must not meet (a
    prefix made of the slug, with "." turned into "_", made them one)."""
    claims = [cr.Claim(variable=name, source=cr.Source(id=s), quantity=cr.Quantity(value=x))
              for name in ("a.b", "a_b") for s, x in (("p", 1.0), ("q", 2.0))]
    page = write_report(claims, tmp_path).read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert page.count('class="forest"') == 2
    targets = set(ids)
    for ref in re.findall(r'href="#([^"]+)"', page) + re.findall(r"url\(#([^)]+)\)", page):
        assert ref in targets, ref


def test_a_claims_file_makes_a_report(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    cr.ClaimTable.from_claims(SEEDS).write(path)
    index, failed = report_command(str(path), str(tmp_path / "out"))
    assert failed == {}
    page = index.read_text(encoding="utf-8")
    assert "Claims of claims.csv" in page
    assert list(sections(page)) == VARIABLES
    for c in SEEDS:
        assert c.quote is not None and html.escape(c.quote) in page


def test_a_report_of_a_file_counts_its_rows_weights(tmp_path: Path) -> None:
    path = tmp_path / "weighted.csv"
    path.write_text("variable,source,value,weight\nx,a,10,9\nx,b,20,1\n", encoding="utf-8")
    index, _ = report_command(str(path), str(tmp_path / "out"))
    markdown = (index.parent / MARKDOWN_FILE).read_text(encoding="utf-8")
    assert "| weighted | **11** |" in markdown  # (10 x 9 + 20) / 10; without the weights, 15
    assert "x: 11 (strategy 'weighted')" in markdown


def test_a_claim_table_and_a_choice_of_strategies(tmp_path: Path) -> None:
    table = cr.ClaimTable.from_claims(SEEDS)
    write_report(table, tmp_path, strategies=("median",), title="Median only")
    page = (tmp_path / HTML_FILE).read_text(encoding="utf-8")
    assert "<th>median</th>" in page and "<th>weighted</th>" not in page
    assert "under median" in page


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(cr.EmptyInputError):
        write_report([], tmp_path)
    with pytest.raises(cr.UnknownStrategyError):
        write_report(SEEDS, tmp_path, strategies=("no-such-strategy",))
    with pytest.raises(ValueError, match="at least one strategy"):
        write_report(SEEDS, tmp_path, strategies=())
    bad = tmp_path / "bad.csv"
    bad.write_text("variable,source,value\nv,s,nan\n", encoding="utf-8")
    with pytest.raises(cr.ClaimFileError):
        report_command(str(bad), str(tmp_path / "out"))


class ZeroForOneVariable:
    """Weights every claim of variable ``nk-casualties`` 0, so each strategy fails there."""

    @cr.hookimpl
    def claimrecon_claim_weights(self, table: cr.ClaimTable) -> np.ndarray:
        code = table.variables.index("nk-casualties")
        return np.where(table.variable == code, 0.0, 1.0)


def test_a_failing_variable_is_reported_and_the_rest_still_shows(
    tmp_path: Path, pm: pluggy.PluginManager
) -> None:
    pm.register(ZeroForOneVariable(), name="zero-casualties")
    write_report(SEEDS, tmp_path, plugin_manager=pm)
    page = (tmp_path / HTML_FILE).read_text(encoding="utf-8")
    found = sections(page)
    assert list(found) == VARIABLES
    failed = found["nk-casualties"]
    assert "<svg" not in failed and "No chart" in failed
    assert "every claim of variable" in html.unescape(failed)
    assert "<svg" in found["nk-troops-sent"]
    assert not (tmp_path / "nk-casualties.png").exists()


def test_without_matplotlib_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"claimrecon\[plot\]"):
        write_report(SEEDS, tmp_path)
    assert not (tmp_path / HTML_FILE).exists()


# -- in a real browser -----------------------------------------------------------------------


def chromium() -> str:
    """The browser: $CHROMIUM, else Debian's chromium; skips the test when neither."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("chromium not installed (apt-get install chromium)")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0", *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def console_problems(stderr: str) -> Iterator[str]:
    """Lines of chromium's log that report a page error: the page runs no script, so
    any console message is one, as is a resource that failed to load."""
    for line in stderr.splitlines():
        if (":CONSOLE" in line or "Uncaught" in line or "net::ERR_" in line
                or "Not allowed to load local resource" in line):
            yield line


def test_the_page_renders_in_chromium(demo: Path, tmp_path: Path) -> None:
    url = (demo / HTML_FILE).resolve().as_uri()
    done = run_chromium(tmp_path, "--dump-dom", url)
    dom = done.stdout
    assert list(console_problems(done.stderr)) == []
    found = sections(dom)
    assert list(found) == VARIABLES
    for variable, section in found.items():
        assert re.search(r"<svg\b", section) or re.search(r"<img\b", section), variable
        assert "<path" in section, variable  # the chart's marks survived parsing


def test_a_screenshot_of_the_page_is_not_blank(demo: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "page.png"
    url = (demo / HTML_FILE).resolve().as_uri()
    done = run_chromium(tmp_path, "--hide-scrollbars", "--window-size=1280,2400",
                        f"--screenshot={shot}", url)
    assert list(console_problems(done.stderr)) == []
    assert shot.stat().st_size > 100_000
    with Image.open(shot) as im:
        colors = im.convert("RGB").resize((128, 240)).getcolors(maxcolors=1 << 16)
    # Text, rules, the claims in blue and the estimates in rust: far from one colour.
    assert colors is not None and len(colors) > 200


def test_a_long_variable_name_gets_a_chart_file_the_file_system_takes(tmp_path: Path) -> None:
    # The chart's file name was the whole name: 300 characters raised OSError.
    src = cr.Source(id="s")
    names = ["x" * 300, "x" * 300 + "y"]
    write_report([cr.Claim(variable=v, source=src, quantity=cr.Quantity(value=1))
                  for v in names], tmp_path)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(pngs) == 2 and all(len(p) < 100 for p in pngs)
    assert list(sections((tmp_path / HTML_FILE).read_text(encoding="utf-8"))) == names


def test_markdown_links_reach_their_own_section_when_anchors_meet(tmp_path: Path) -> None:
    # "Troops" after "troops", "nk troops" after "nk-troops", a variable called
    # "summary" after the Summary heading: renderers number repeated anchors (-1, -2),
    # and the summary's links followed the first, another section.
    from claimrecon._report import _anchors

    src = cr.Source(id="s")
    names = ["troops", "Troops", "nk-troops", "nk troops", "summary", "A &amp; B"]
    write_report([cr.Claim(variable=v, source=src, quantity=cr.Quantity(value=1))
                  for v in names], tmp_path, title="Report")
    md = (tmp_path / MARKDOWN_FILE).read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in md.splitlines() if line.startswith("#")]
    rendered = [re.sub(r"\\(.)", r"\1", h) for h in headings]  # Markdown escapes undone
    links = re.findall(r"^\| \[(.+?)\]\(#([^)]+)\)", md, flags=re.M)
    assert [re.sub(r"\\(.)", r"\1", text) for text, _ in links] == names
    positions = {h: i for i, h in enumerate(rendered) if h in names}
    all_anchors = _anchors(rendered)
    for text, anchor in links:
        name = re.sub(r"\\(.)", r"\1", text)
        assert all_anchors[positions[name]] == anchor
    assert [a for _, a in links] == ["troops", "troops-1", "nk-troops", "nk-troops-1",
                                     "summary-1", "a-amp-b"]
