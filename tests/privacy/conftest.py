import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _privacy_settings(settings, tmp_path):
    """German texts, the shipped periods, and private mail/SMS folders for every test."""
    settings.REQUIRE_2FA = False  # force_login here; the two-factor sign-in is tested in tests/core
    settings.PRIVACY_APPOINTMENT_DAYS = 30
    settings.PRIVACY_WALKIN_DAYS = 7
    settings.PRIVACY_CALLBACK_DAYS = 30
    settings.PRIVACY_WAITLIST_DAYS = 0
    settings.PRIVACY_MESSAGE_FILE_DAYS = 14
    settings.PRIVACY_ALARM_MONTHS = 6
    settings.PRIVACY_BATCH_SIZE = 2  # several batches even with a handful of rows
    settings.MAIL_FILE_PATH = tmp_path / "mail"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    settings.SMS_BACKEND = "log"
    with translation.override("de"):
        yield
