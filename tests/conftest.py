"""Shared test set-up: hypothesis profiles and a fresh plugin manager per test."""

from __future__ import annotations

import os

import pluggy
import pytest
from hypothesis import HealthCheck, settings

import claimrecon as cr

# With CI=true hypothesis loads its own "ci" profile; we only add ours.
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("CLAIMRECON_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["CLAIMRECON_HYPOTHESIS_PROFILE"])
elif not os.environ.get("CI"):
    settings.load_profile("dev")


@pytest.fixture
def pm() -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in strategies (no entry points)."""
    old = os.environ.get("CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        return cr.make_plugin_manager()
    finally:
        if old is None:
            del os.environ["CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD"] = old
