"""Issue 26, defect 5 (2026-12-04): "Angeboten an Standorten" restricts booking (services, pages,
API, availability), and a service longer than every capacity window is refused or warned about
when it is saved."""

from __future__ import annotations

import time
from datetime import date
from datetime import time as clock

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments import configuration, services
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Quota
from buergerkontakt.core.models import User
from buergerkontakt.directory.models import HoursKind, HoursRule, Service

from .builders import at, build_office, make_service, weekly_schedule

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)
TUESDAY = date(2026, 6, 9)


@pytest.fixture
def office():
    """The group serves two locations; the short service is offered only at the first."""
    office = build_office()
    second = office.org.second_location
    weekly_schedule(office.group, second, [("08:00", "12:00")], counters=2, online_quota=1)
    services.materialize_slots(office.group, second, date(2026, 6, 8), date(2026, 6, 19))
    assert set(office.short.locations.all()) == {office.location}
    return office


@time_machine.travel(NOW, tick=False)
def test_a_service_is_booked_only_where_it_is_offered(office):
    second = office.org.second_location
    assert services.locations_for([office.short]) == [office.location]
    assert {d.location_id for d in services.availability([office.short], TUESDAY, 7, now=NOW)} == {
        office.location.pk}
    with pytest.raises(BookingError, match="an diesem Standort nicht angeboten"):
        services.free_starts([office.short], second, TUESDAY, now=NOW)
    with pytest.raises(BookingError, match="an diesem Standort nicht angeboten"):
        services.availability([office.short], TUESDAY, 7, location=second, now=NOW)
    with pytest.raises(BookingError, match="an diesem Standort nicht angeboten"):
        services.hold_slot([office.short], second, at(2026, 6, 9, 8), now=NOW)
    # Also on the internal quota: the phone centre cannot book it there either.
    with pytest.raises(BookingError, match="an diesem Standort nicht angeboten"):
        services.hold_slot([office.short], second, at(2026, 6, 9, 8), now=NOW, quota=Quota.INTERNAL,
                           booked_by=office.agent)
    # Ticked: bookable there at once.
    office.short.locations.add(second)
    assert services.locations_for([office.short]) == sorted([office.location, second], key=lambda x: x.name)
    assert services.free_starts([office.short], second, TUESDAY, now=NOW)
    assert services.hold_slot([office.short], second, at(2026, 6, 9, 8), now=NOW).pk


@time_machine.travel(NOW, tick=False)
def test_two_services_together_only_where_both_are_offered(office):
    second = office.org.second_location
    office.long.locations.set([second])
    office.short.locations.set([office.location, second])
    assert services.locations_for([office.short, office.long]) == [second]
    assert services.locations_for([office.short]) == sorted([office.location, second], key=lambda x: x.name)


@time_machine.travel(NOW, tick=False)
def test_a_service_offered_nowhere_is_not_bookable_online(office):
    office.short.locations.clear()
    assert office.short not in services.bookable_services()
    assert office.long in services.bookable_services()
    assert office.org.second_location.pk not in services.online_location_ids(office.short)
    assert office.location.pk not in services.online_location_ids(office.short)
    assert office.location.pk in services.online_location_ids(office.long)
    with pytest.raises(BookingError):
        services.availability([office.short], TUESDAY, 7, now=NOW)


@time_machine.travel(NOW, tick=False)
def test_the_api_and_the_booking_page_list_only_offered_locations(client, office):
    second = office.org.second_location
    body = client.get("/api/appointments/services").json()
    short = next(item for item in body if item["slug"] == office.short.slug)
    assert [loc["slug"] for group in short["groups"] for loc in group["locations"]] == [office.location.slug]
    response = client.get("/api/appointments/availability",
                          {"service": office.short.slug, "from": TUESDAY.isoformat(), "days": 7})
    assert response.status_code == 200
    assert [loc["slug"] for loc in response.json()["locations"]] == [office.location.slug]
    response = client.get("/api/appointments/availability", {
        "service": office.short.slug, "location": second.slug, "from": TUESDAY.isoformat(), "days": 7})
    assert response.status_code in (400, 404, 422)
    assert "nicht angeboten" in response.text
    page = client.get(reverse("appointments:day"), {"service": office.short.slug}).text
    assert office.location.name in page and second.name not in page


@time_machine.travel(NOW, tick=False)
def test_ticking_a_location_refreshes_the_cached_overview(transactional_db, client, office, settings,
                                                          django_capture_on_commit_callbacks):
    """Committed data (transactional_db): with a shared cache the refresh runs in another thread."""
    settings.AVAILABILITY_CACHE_SECONDS = 300
    second = office.org.second_location
    query = {"service": office.short.slug, "from": TUESDAY.isoformat(), "days": 7}
    first = client.get("/api/appointments/availability", query).json()
    assert [loc["slug"] for loc in first["locations"]] == [office.location.slug]
    with django_capture_on_commit_callbacks(execute=True):
        office.short.locations.add(second)
    # Stale while revalidate (with a shared cache): the next request starts the refresh.
    wanted = {office.location.slug, second.slug}
    for _attempt in range(50):
        again = client.get("/api/appointments/availability", query).json()
        if {loc["slug"] for loc in again["locations"]} == wanted:
            break
        time.sleep(0.1)
    assert {loc["slug"] for loc in again["locations"]} == wanted


# --- a service longer than every capacity window --------------------------------------------------
def test_services_longer_than_every_window_are_found(office):
    # windows at the first location: 08:00–12:00 and 13:00–15:00; at the second: 08:00–12:00
    assert configuration.too_long_services(office.group) == []
    office.long.duration_minutes = 300  # 5 h > 4 h
    office.long.save()
    found = configuration.too_long_services(office.group)
    assert [(p.service, p.needed_minutes, p.longest_minutes) for p in found] == [(office.long, 300, 240)]
    assert "länger als" in found[0].message


def test_touching_windows_count_as_one(office):
    weekly_schedule(office.group, office.location, [("12:00", "13:00")], counters=1, online_quota=1)
    office.long.duration_minutes = 300  # 08:00–15:00 without a gap: 7 h
    office.long.save()
    assert configuration.too_long_services(office.group) == []


def _admin_client(client):
    root = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-2026")
    client.force_login(root)
    return client


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


def _service_form(service: Service, **changes) -> dict:
    data = {
        "authority": service.authority_id, "name": service.name, "slug": service.slug, "synonyms": "",
        "is_public": "on", "description": "", "what_to_bring": "", "fee": "",
        "duration_minutes": service.duration_minutes, "online_bookable": "on",
        "locations": [loc.pk for loc in service.locations.all()], "teams": [],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_service_admin_refuses_an_online_service_longer_than_every_window(client, office):
    _admin_client(client)
    url = reverse("admin:directory_service_change", args=[office.long.pk])
    response = client.post(url, _service_form(office.long, duration_minutes=300))
    assert response.status_code == 200  # the form again, with the error
    assert "länger als" in response.text and "240 Minuten" in response.text
    office.long.refresh_from_db()
    assert office.long.duration_minutes == 30
    # Not online bookable: may be saved (booked by staff on the phone, or planned)
    data = _service_form(office.long, duration_minutes=300)
    data.pop("online_bookable")
    assert client.post(url, data).status_code == 302
    office.long.refresh_from_db()
    assert office.long.duration_minutes == 300
    # Within a window: saved.
    response = client.post(url, _service_form(office.long, duration_minutes=240))
    assert response.status_code == 302


def test_the_group_admin_warns_when_a_schedule_leaves_a_service_unbookable(client, office):
    _admin_client(client)
    HoursRule.objects.filter(kind=HoursKind.OPENING).update(start=clock(7), end=clock(18))
    office.long.duration_minutes = 150
    office.long.save()
    schedules = list(office.group.schedules.order_by("pk"))
    data = {
        "authority": office.group.authority_id, "name": office.group.name, "slug": office.group.slug,
        "services": [office.short.pk, office.long.pk], "slot_minutes": 15, "min_days_ahead": 1,
        "max_days_ahead": 42, "release_time": "08:00", "hold_minutes": 10, "confirm_minutes": 30,
        "max_active_per_person": 1, "cancel_release_delay_minutes": 30, "reminder_hours_before": 24,
        "reconfirm_hours_before": 12, "waitlist_offer_minutes": 240,
        "schedules-TOTAL_FORMS": len(schedules), "schedules-INITIAL_FORMS": len(schedules),
        "schedules-MIN_NUM_FORMS": 0, "schedules-MAX_NUM_FORMS": 1000,
    }
    for index, schedule in enumerate(schedules):
        short_end = "10:00" if schedule.start == clock(8) else schedule.end.strftime("%H:%M")
        data.update({
            f"schedules-{index}-id": schedule.pk, f"schedules-{index}-group": office.group.pk,
            f"schedules-{index}-location": schedule.location_id,
            f"schedules-{index}-weekday": schedule.weekday, f"schedules-{index}-date": "",
            f"schedules-{index}-start": schedule.start.strftime("%H:%M"),
            f"schedules-{index}-end": short_end, f"schedules-{index}-counters": schedule.counters,
            f"schedules-{index}-online_quota": schedule.online_quota,
            f"schedules-{index}-valid_from": "", f"schedules-{index}-valid_until": "",
        })
    response = client.post(reverse("admin:appointments_servicegroup_change", args=[office.group.pk]), data,
                           follow=True)
    assert response.status_code == 200
    assert "Personalausweis" in response.text and "länger als" in response.text


def test_unbookable_services_per_location_for_the_configuration_check(office):
    office.long.duration_minutes = 300
    office.long.save()
    lonely = make_service(office.org.authority, "nirgends", 15, locations=())
    office.group.services.add(lonely)
    problems = configuration.unbookable_services(office.location)
    assert {(p.service, p.kind) for p in problems} == {(office.long, "too_long"),
                                                      (office.other, "no_schedule")}
    assert configuration.unbookable_services(office.org.second_location) == []
