import pytest
import time_machine
from django.utils import translation

from buergerkontakt.core import apikeys
from buergerkontakt.core.models import ApiKey
from buergerkontakt.telephony.models import Extension, Line
from tests.callbacks.builders import MONDAY_10, build_office

KEY_CALLBACKS_ONLY = "nur-rueckrufe-456"


@pytest.fixture(autouse=True)
def _german():
    with translation.override("de"):
        yield


@pytest.fixture
def clock():
    """Monday 8 June 2026, 10:00 Berlin (inside the team's phone hours 10–11)."""
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    office = build_office()
    org = office.org
    Line.objects.create(authority=org.authority, number="+496912340", team=org.team)
    Line.objects.create(authority=org.authority, number="hotline-2", team=org.second_team)
    Extension.objects.create(authority=org.authority, user=org.users["agent"], identifier="42")
    Extension.objects.create(authority=org.authority, user=org.users["caseworker"],
                             identifier="7777abc@fpbx.de")
    return office


@pytest.fixture
def key(office):
    _record, secret = apikeys.create_key(office.org.authority, "Telefonanlage", [ApiKey.Scope.TELEPHONY])
    apikeys.create_key(office.org.authority, "Portal", [ApiKey.Scope.CALLBACKS])
    return secret


@pytest.fixture
def callbacks_only_key(office):
    return apikeys.create_key(office.org.authority, "Portal", [ApiKey.Scope.CALLBACKS])[1]
