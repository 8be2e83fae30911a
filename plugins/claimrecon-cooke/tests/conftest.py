"""Shared set-up: hypothesis profiles and where the test data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
if os.environ.get("CLAIMRECON_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["CLAIMRECON_HYPOTHESIS_PROFILE"])
elif not os.environ.get("CI"):
    settings.load_profile("dev")

#: The small studies copied into the repository (see data/PROVENANCE.md).
DATA = Path(__file__).parent / "data"

#: The full data set of 33 studies, when this machine has it.
FULL_DATA = Path(os.environ.get("CLAIMRECON_COOKE_DATA",
                                "/work/shared/datasets/expert_judgment"))


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def full_data() -> Path:
    if not (FULL_DATA / "MANIFEST.csv").exists():
        pytest.skip(f"the 33-study data set is not at {FULL_DATA} (set "
                    "CLAIMRECON_COOKE_DATA to its folder to run this test)")
    return FULL_DATA
