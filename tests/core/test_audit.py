"""Every change to master data is in the audit log, with the acting user."""

from auditlog.context import set_actor
from auditlog.models import LogEntry

from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import HoursKind, HoursRule


def test_master_data_changes_are_logged_with_actor(org):
    admin = org.users["admin"]
    with set_actor(admin):
        org.location.phone = "069 999"
        org.location.save()
        rule = HoursRule.objects.filter(location=org.location, kind=HoursKind.OPENING).first()
        rule.delete()
    entries = LogEntry.objects.get_for_object(org.location)
    change = entries.filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert change.actor == admin
    assert change.changes_dict["phone"][1] == "069 999"
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE,
                                   content_type__model="hoursrule").exists()
    assert Location.objects.filter(pk=org.location.pk, phone="069 999").exists()


def test_password_never_in_audit_log(org):
    user = org.users["caseworker"]
    user.set_password("Ganz-Neues-Passwort-1")
    user.save()
    for entry in LogEntry.objects.get_for_object(user):
        assert "password" not in (entry.changes_dict or {})
