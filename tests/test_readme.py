"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import claimrecon as cr
from claimrecon import _plugins

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_examples_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not README.exists():
        pytest.skip("README.md is not next to the tests (installed without the checkout)")
    monkeypatch.setattr(_plugins, "_default", cr.make_plugin_manager())
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert out.startswith("about 12,")
    assert "Ukrainian officials" in out
    est = namespace["estimate"]
    assert isinstance(est, cr.Estimate) and est.n_used == 2
