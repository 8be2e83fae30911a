"""The worked example of docs/explanation/cooke.rst is right (the docs build does not
run it: it needs this plugin installed)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "explanation" / "cooke.rst"


def test_the_worked_example_runs_as_shown() -> None:
    if not PAGE.exists():
        pytest.skip(f"the documentation is not at {PAGE} (not a repository checkout)")
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("   >>> import claimrecon as cr")
    end = text.index("The equal-weight pool gives")
    block = "\n".join(line[3:] for line in text[start:end].splitlines())
    test = doctest.DocTestParser().get_doctest(block, {}, "cooke.rst", str(PAGE), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 5 and result.failed == 0
