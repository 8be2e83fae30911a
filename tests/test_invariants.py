"""Every registered strategy keeps the invariants it declares (DESIGN.md)."""

from __future__ import annotations

import pytest

import claimrecon as cr
from claimrecon.testing import check_strategy

BUILTINS = ["range", "intersection", "weighted", "median", "recency"]
# Every strategy claimrecon itself provides; installed third-party plugins run the same
# contract kit in their own test suites (see plugins/).
ALL = sorted({i.name for i in cr.list_strategies() if i.plugin.startswith("claimrecon.")})


def test_every_builtin_strategy_is_registered() -> None:
    assert set(BUILTINS) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_strategy_keeps_its_declared_invariants(name: str) -> None:
    check_strategy(name)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_strategies_declare_the_core_invariants(name: str) -> None:
    declared = cr.get_strategy(name).properties
    assert {"within_envelope", "accounts_for_all", "order_free", "idempotent",
            "scale_free"} <= declared


def test_recency_declares_that_older_claims_do_not_matter() -> None:
    assert "ignores_older" in cr.get_strategy("recency").properties
