"""Art. 13 notices: a page per processing, linked from each form, in German and English, with the
authority's own texts and the configured periods."""

from __future__ import annotations

import pytest

from buergerkontakt.privacy.models import PrivacyNotice


@pytest.mark.parametrize("processing", ["termine", "warteliste", "rueckruf", "wartenummer"])
def test_a_page_per_processing(client, org, processing):
    response = client.get(f"/datenschutz/hinweise/{processing}/")
    assert response.status_code == 200
    assert "Informationen nach Art. 13 DSGVO" in response.content.decode()


def test_unknown_processing_is_404(client, org):
    assert client.get("/datenschutz/hinweise/alles/").status_code == 404


def test_periods_come_from_the_settings(client, org, settings):
    settings.PRIVACY_APPOINTMENT_DAYS = 45
    assert "45 Tage nach dem Termintag" in client.get("/datenschutz/hinweise/termine/").content.decode()


def test_authority_text_in_the_visitors_language(client, org):
    PrivacyNotice.objects.create(authority=org.authority, processing="termine", language="de",
                                 controller="Jobcenter Teststadt, Hauptstraße 1",
                                 dpo_contact="dsb@teststadt.de",
                                 text="Eigener Hinweis auf Deutsch.")
    PrivacyNotice.objects.create(authority=org.authority, processing="termine", language="en",
                                 controller="Jobcenter Teststadt, Hauptstraße 1",
                                 dpo_contact="dsb@teststadt.de",
                                 text="Own notice in English.")
    german = client.get("/datenschutz/hinweise/termine/?behoerde=jc-test").content.decode()
    assert "Eigener Hinweis auf Deutsch." in german and "dsb@teststadt.de" in german
    english = client.get("/datenschutz/hinweise/termine/?behoerde=jc-test", HTTP_ACCEPT_LANGUAGE="en")
    text = english.content.decode()
    assert "Own notice in English." in text and "Information under Art. 13 GDPR" in text
    assert "Eigener Hinweis" not in text


def test_forms_link_their_notice(client, org):
    from django.template.loader import get_template

    assert 'href="/datenschutz/hinweise/warteliste/"' in client.get("/termine/warteliste/").content.decode()
    forms = (("appointments/details.html", "termine"), ("waitlist/register.html", "warteliste"),
             ("callbacks/request.html", "rueckruf"), ("queue/ticket.html", "wartenummer"))
    for template, processing in forms:
        source = get_template(template).template.source
        assert f'{{% include "_privacy_link.html" with processing="{processing}" %}}' in source, template
