"""The dashboard and its CSV downloads: deny by default (role × endpoint), scope, filters, CSV format."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments.models import Appointment

from . import builders as b

pytestmark = pytest.mark.django_db

NOW = b.berlin(2026, 6, 20, 12)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


DASHBOARD = reverse("reports_staff:dashboard")
CSV_URL = reverse("reports_staff:csv", args=["rueckrufe"])


@pytest.mark.parametrize("url", [DASHBOARD, CSV_URL])
def test_anonymous_is_sent_to_login(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("teamlead", 200),
        ("admin", 200),
        ("other_teamlead", 200),
        ("other_admin", 200),
        ("caseworker", 403),
        ("agent", 403),
        ("security", 403),
        ("register_keeper", 403),
        ("dpo", 403),
        ("professional", 403),
    ],
)
@pytest.mark.parametrize("url", [DASHBOARD, CSV_URL])
def test_role_matrix(client, org, travel, role, status, url):
    client.force_login(org.users[role])
    assert client.get(url).status_code == status


def test_dashboard_renders_charts_and_tables_for_the_default_30_days(client, org, travel):
    day = b.berlin(2026, 6, 10, 9)
    b.callback(org.team, day, day + timedelta(hours=2), [day + timedelta(hours=1)])
    b.appointment(org.location, day, Appointment.Status.NO_SHOW)
    client.force_login(org.users["teamlead"])
    response = client.get(DASHBOARD)
    html = response.content.decode()
    assert "Zeitraum 22.05.2026 bis 20.06.2026" in html
    assert html.count('role="img"') >= 6 and "<title id=" in html and "<desc id=" in html
    assert "Rückrufe innerhalb der Frist" in html and "100,0 %" in html
    assert "Noch keine Daten aus dem Vorfallregister" in html or "Vorfälle je Monat" in html
    # only the own location and team can be chosen
    form = response.context["form"]
    assert list(form.fields["standort"].queryset) == [org.location]
    assert list(form.fields["team"].queryset) == [org.team]
    assert "style=" not in html.split("<main", 1)[1]  # no inline styles (CSP)


def test_team_lead_sees_nothing_of_the_other_team(client, org, travel):
    day = b.berlin(2026, 6, 10, 9)
    b.callback(org.second_team, day, day + timedelta(hours=2), [day + timedelta(hours=3)])
    client.force_login(org.users["teamlead"])
    rows = list(csv.reader(io.StringIO(client.get(CSV_URL).content.decode("utf-8-sig")), delimiter=";"))
    assert sum(int(r[1]) for r in rows[1:]) == 0
    # choosing the other team or location is refused
    for query in ({"team": org.second_team.pk}, {"standort": org.second_location.pk}):
        assert client.get(DASHBOARD, query).status_code == 400
        assert client.get(CSV_URL, query).status_code == 400
    client.force_login(org.users["admin"])
    rows = list(
        csv.reader(
            io.StringIO(client.get(CSV_URL, {"team": org.second_team.pk}).content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert sum(int(r[1]) for r in rows[1:]) == 1


def test_csv_is_semicolon_separated_utf8_with_bom(client, org, travel):
    day = b.berlin(2026, 6, 10, 9)
    b.callback(org.team, day, day + timedelta(hours=2), [day + timedelta(hours=1)])
    b.callback(org.team, day, day + timedelta(hours=2), [day + timedelta(hours=3)])
    client.force_login(org.users["teamlead"])
    response = client.get(CSV_URL, {"von": "2026-06-08", "bis": "2026-06-12"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="rueckrufe_2026-06-08_2026-06-12.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Tag",
        "Tickets",
        "fristgerecht",
        "Frist überschritten",
        "Frist läuft noch",
        "Fristtreue",
    ]
    assert len(rows) == 6
    assert rows[3][1:] == ["2", "1", "1", "0", "50,0"]


@pytest.mark.parametrize(
    "key",
    [
        "termine",
        "termine-naechster-freier",
        "wartezeiten",
        "wartezeiten-schlangen",
        "rueckrufe",
        "rueckrufe-dringlichkeit",
        "rueckrufe-versuche",
        "erstkontakt",
        "alarme",
    ],
)
def test_every_table_downloads(client, org, travel, key):
    client.force_login(org.users["admin"])
    response = client.get(reverse("reports_staff:csv", args=[key]))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").split("\r\n")[0].count(";") >= 1


def test_unknown_table_is_404(client, org, travel):
    client.force_login(org.users["admin"])
    assert client.get(reverse("reports_staff:csv", args=["gibt-es-nicht"])).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"von": "2026-06-10", "bis": "2026-06-01"}, "Das Ende des Zeitraums liegt vor seinem Beginn."),
        ({"von": "2024-01-01", "bis": "2026-06-01"}, "Bitte wählen Sie höchstens 366 Tage."),
        ({"von": "gestern"}, "Bitte geben Sie ein gültiges Datum ein."),
        ({"standort": "999999"}, "Diesen Standort können Sie nicht auswählen."),
    ],
)
def test_bad_filters_answer_400_with_a_german_message(client, org, travel, query, message):
    client.force_login(org.users["admin"])
    response = client.get(DASHBOARD, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_team_filter_must_fit_the_location(client, org, travel):
    client.force_login(org.users["admin"])
    response = client.get(DASHBOARD, {"standort": org.location.pk, "team": org.second_team.pk})
    assert response.status_code == 400
    assert "Dieses Team gehört nicht zum gewählten Standort." in response.content.decode()


def test_only_start_given_gives_thirty_days(client, org, travel):
    client.force_login(org.users["admin"])
    response = client.get(DASHBOARD, {"von": "2026-05-01"})
    assert response.context["period"].first == date(2026, 5, 1)
    assert response.context["period"].last == date(2026, 5, 30)


def test_navigation_entry_only_for_report_roles(client, org, travel):
    client.force_login(org.users["teamlead"])
    assert DASHBOARD in client.get(reverse("core:staff_home")).content.decode()
    client.force_login(org.users["caseworker"])
    assert DASHBOARD not in client.get(reverse("core:staff_home")).content.decode()


def test_dashboard_and_public_page_in_english(client, org, travel):
    client.force_login(org.users["admin"])
    html = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reports and key figures" in html and "Callbacks within the deadline" in html
    page = client.get(reverse("reports:reachability", args=[org.location.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Directly reachable by phone" in page.content.decode()
