import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _german_and_fresh_cache(settings):
    """German texts, the shipped defaults for the report knobs, and no cached open-data document
    left over from an earlier test."""
    settings.REQUIRE_2FA = False  # force_login here; the two-factor sign-in is tested in tests/core
    settings.REACHABILITY_MIN_COUNT = 5
    settings.REPORTS_INCIDENT_MIN_COUNT = 3
    cache.clear()
    with translation.override("de"):
        yield
    cache.clear()
