"""Fixtures for the pure dialing core: no Django, no database."""

from __future__ import annotations

import pytest
from dialer_core_helpers import build_learned_model

from dialcrm.dialer.core.learning import LearnedModel


@pytest.fixture(scope="session")
def learned_model() -> LearnedModel:
    return build_learned_model()
