import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _german(settings, tmp_path):
    """Messages are checked in German; pages are used with force_login (2FA is tested in tests/core);
    the generated register keys live in the test's own folder."""
    settings.REQUIRE_2FA = False
    settings.INCIDENT_ENCRYPTION_KEY = ""
    settings.INCIDENT_HASH_KEY = ""
    settings.INCIDENT_KEY_FILE = tmp_path / "incident_keys.json"
    with translation.override("de"):
        yield
