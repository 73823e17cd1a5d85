"""SPEC R4: one matrix over every page of the site (every URL pattern outside the API and the
admin) for every role and for anonymous visitors. Each page must have a rule here – a new page
without one fails the build – and each role must get exactly what its rule says: let through, or
denied (403) / sent to sign-in. Object rules (a team lead of team A sees nothing of team B) are
tested per app; this matrix checks the gate in front of every view.

"Let through" includes 404 for the made-up object ids used here and 405 for POST-only actions;
for those, a POST must be refused to everyone outside the rule as well.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.urlwalk import outcome, patterns, sample_path

ROLES = ("agent", "caseworker", "teamlead", "security", "register_keeper", "dpo", "admin", "professional",
         "other_admin", "other_teamlead")
WHO = ("anon", *ROLES)

EVERYONE = frozenset(WHO)
ACCOUNT = frozenset(ROLES)  # any signed-in account, including external professionals
STAFF = ACCOUNT - {"professional"}
FRONT_OFFICE = frozenset({"agent", "caseworker", "teamlead", "admin", "other_admin", "other_teamlead"})
BOOKING_ON_BEHALF = frozenset({"agent", "admin", "other_admin"})
ASSIGN = frozenset({"caseworker", "teamlead", "admin", "other_admin", "other_teamlead"})
CASEWORK = frozenset({"caseworker", "teamlead", "other_teamlead"})
SECURITY = frozenset({"security"})
LEADS = frozenset({"teamlead", "admin", "other_admin", "other_teamlead"})
NOBODY = frozenset()  # signed links, codes and steps of the sign-in: refused without their token
KEEPERS = frozenset({"register_keeper"})
PHONE_CENTRE = frozenset({"agent", "teamlead", "admin", "other_admin", "other_teamlead"})
DPO = frozenset({"dpo"})
# Pages of one register object: refused (403, never "not found") unless the object exists and the
# user may see it – with the made-up ids here that is nobody; tests/incidents checks real objects.
REGISTER_OBJECT = frozenset()

EXPECTED: dict[str, frozenset[str]] = {
    "alarms:console": SECURITY,
    "alarms:detail": STAFF,
    "alarms:drill": SECURITY,
    "alarms:drill_cancel": SECURITY,
    "alarms:drill_csv": SECURITY,
    "alarms:drills": SECURITY,
    "alarms:export": STAFF,
    "alarms:raise": STAFF,
    "alarms:register": STAFF,
    "alarms:resolve": SECURITY,
    "alarms:reveal_names": STAFF,
    "alarms:status": STAFF,
    "appointments:challenge": EVERYONE,
    "appointments:confirm": EVERYONE,
    "appointments:day": EVERYONE,
    "appointments:details": EVERYONE,
    "appointments:ics": EVERYONE,
    "appointments:lookup": EVERYONE,
    "appointments:manage": EVERYONE,
    "appointments:reconfirm": EVERYONE,
    "appointments:start": EVERYONE,
    "appointments:time": EVERYONE,
    "appointments_staff:assign": ASSIGN,
    "appointments_staff:book": BOOKING_ON_BEHALF,
    "appointments_staff:book_abandon": BOOKING_ON_BEHALF,
    "appointments_staff:book_details": BOOKING_ON_BEHALF,
    "appointments_staff:book_hold": BOOKING_ON_BEHALF,
    "appointments_staff:cancel": FRONT_OFFICE,
    "appointments_staff:check_in": FRONT_OFFICE,
    "appointments_staff:complete": FRONT_OFFICE,
    "appointments_staff:day": FRONT_OFFICE,
    "appointments_staff:detail": FRONT_OFFICE,
    "appointments_staff:no_show": FRONT_OFFICE,
    "appointments_staff:reschedule": FRONT_OFFICE,
    "appointments_staff:week": FRONT_OFFICE,
    "callbacks:request": EVERYONE,
    "callbacks:start": EVERYONE,
    "callbacks:status": NOBODY,
    "callbacks_staff:appointment": FRONT_OFFICE,
    "callbacks_staff:assign": CASEWORK,
    "callbacks_staff:attempt": CASEWORK,
    "callbacks_staff:book": BOOKING_ON_BEHALF,
    "callbacks_staff:detail": FRONT_OFFICE,
    "callbacks_staff:new": BOOKING_ON_BEHALF,
    "callbacks_staff:pause": CASEWORK,
    "callbacks_staff:preview": FRONT_OFFICE,
    "callbacks_staff:resume": CASEWORK,
    "callbacks_staff:worklist": FRONT_OFFICE,
    "core:login": EVERYONE,
    # Sign-in through the identity provider: public entry points (404 while OIDC is not configured).
    "directory_auth:oidc_start": EVERYONE,
    "directory_auth:oidc_callback": EVERYONE,
    "core:login_code": NOBODY,
    "core:login_enrol": NOBODY,
    "core:login_recovery": NOBODY,
    "core:logout": EVERYONE,
    "core:recovery_codes": ACCOUNT,
    "core:recovery_codes_renew": NOBODY,
    "core:staff_home": STAFF,
    "directory:home": EVERYONE,
    "directory:location": EVERYONE,
    "directory:locations": EVERYONE,
    "directory:people": EVERYONE,
    "directory:responsibility": EVERYONE,
    "directory:service": EVERYONE,
    "directory:services": EVERYONE,
    "healthz": EVERYONE,  # load balancers: no login, no personal data
    "incidents:access": STAFF,
    "incidents:aftercare": REGISTER_OBJECT,
    "incidents:approve": REGISTER_OBJECT,
    "incidents:correct": REGISTER_OBJECT,
    "incidents:decide": REGISTER_OBJECT,
    "incidents:delete": REGISTER_OBJECT,
    "incidents:entries": KEEPERS,
    "incidents:entry": REGISTER_OBJECT,
    "incidents:export": DPO,
    "incidents:grants": LEADS,
    "incidents:home": STAFF,
    "incidents:inspect": REGISTER_OBJECT,
    "incidents:log": DPO,
    "incidents:letter_decide": KEEPERS,
    "incidents:letter_pdf": KEEPERS,
    "incidents:letters": KEEPERS,
    "incidents:lookup": KEEPERS,
    "incidents:new_entry": KEEPERS,
    "incidents:new_report": STAFF,
    "incidents:outcome": REGISTER_OBJECT,
    "incidents:reject": REGISTER_OBJECT,
    "incidents:report": REGISTER_OBJECT,
    "incidents:report_reviewed": REGISTER_OBJECT,
    "incidents:reports": KEEPERS,
    "incidents:revoke": REGISTER_OBJECT,
    "queue:display": EVERYONE,
    "queue:kiosk": EVERYONE,
    "queue:ticket": EVERYONE,
    "queue_staff:call": FRONT_OFFICE,
    "queue_staff:call_next": FRONT_OFFICE,
    "queue_staff:cancel": FRONT_OFFICE,
    "queue_staff:check_in": FRONT_OFFICE,
    "queue_staff:desk": FRONT_OFFICE,
    "queue_staff:desk_setup": FRONT_OFFICE,
    "queue_staff:emergency": FRONT_OFFICE,
    "queue_staff:finish": FRONT_OFFICE,
    "queue_staff:hand_over": FRONT_OFFICE,
    "queue_staff:issue": FRONT_OFFICE,
    "queue_staff:missed": FRONT_OFFICE,
    "queue_staff:overview": FRONT_OFFICE,
    "queue_staff:print": FRONT_OFFICE,
    "queue_staff:recall": FRONT_OFFICE,
    "queue_staff:reception": FRONT_OFFICE,
    "queue_staff:requeue": FRONT_OFFICE,
    "queue_staff:start": FRONT_OFFICE,
    "reports:reachability": EVERYONE,
    "reports_staff:csv": LEADS,
    "reports_staff:dashboard": LEADS,
    "privacy:notice": EVERYONE,
    "privacy:queue": DPO,
    "privacy:request": EVERYONE,
    "privacy:request_detail": DPO,
    "privacy:request_export": DPO,
    "privacy:request_form": EVERYONE,
    "privacy:request_json": EVERYONE,
    "privacy:request_pdf": EVERYONE,
    "privacy:request_sent": EVERYONE,
    "setup:invitation": NOBODY,
    "telephony_staff:calls": PHONE_CENTRE,
    "telephony_staff:dial": FRONT_OFFICE,
    "telephony_staff:missed_ticket": PHONE_CENTRE,
    "telephony_staff:solved": FRONT_OFFICE,
    "waitlist:offer": EVERYONE,
    "waitlist:register": EVERYONE,
    "waitlist:registered": EVERYONE,
    "waitlist:withdraw": EVERYONE,
}

PAGES = sorted(set(patterns()))


def test_every_page_has_a_rule():
    names = {name for name, _route in PAGES}
    assert not names - EXPECTED.keys(), f"pages without an access rule: {sorted(names - EXPECTED.keys())}"
    gone = sorted(EXPECTED.keys() - names)
    assert not gone, f"rules for pages that no longer exist: {gone}"


def test_staff_pages_are_never_public():
    for name, route in PAGES:
        if route.startswith("mitarbeiter/"):
            assert "anon" not in EXPECTED.get(name, EVERYONE), name


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route"), PAGES, ids=[name for name, _ in PAGES])
def test_access_matrix(org, settings, name, route):
    settings.REQUIRE_2FA = False
    path = sample_path(route)
    allowed = EXPECTED.get(name)
    assert allowed is not None, f"{name} has no access rule"
    for who in WHO:
        client = Client()
        if who != "anon":
            client.force_login(org.users[who])
        response = client.get(path)
        post_only = response.status_code == 405
        result = outcome(client.post(path) if post_only and who not in allowed else response)
        if who in allowed:
            assert result == "pass", f"{who} should reach {path} ({name}), got {result}"
        else:
            assert result in ("login", "denied"), f"{who} must not reach {path} ({name})"
            if who == "anon" and route.startswith("mitarbeiter/"):
                assert result == "login"
