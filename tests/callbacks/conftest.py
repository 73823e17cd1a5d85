import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _german():
    """Messages are checked in German, whatever language an earlier test left active."""
    with translation.override("de"):
        yield
