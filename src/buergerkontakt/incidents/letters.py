"""The written information of a register entry's data subject (Art. 14 GDPR, as Köln does): when
an entry becomes active for the first time, :func:`create_for` fills the authority's editable
template (``LetterTemplate``, else the shipped text) into a ``SubjectLetter``; a keeper downloads
it as PDF (the address is typed in for the print and never stored), marks it as sent, or records
one of the authority's documented exceptions (Art. 14(5)) with a reason. Logged without content."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.pdf import render_pdf

from .models import DEFAULT_LETTER_TEXT, Entry, LetterTemplate, SubjectLetter


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_for(authority_id: int) -> LetterTemplate:
    found = LetterTemplate.objects.filter(authority_id=authority_id).first()
    return found or LetterTemplate(authority_id=authority_id, text=DEFAULT_LETTER_TEXT)


def fill(text: str, entry: Entry) -> str:
    values = _Blank(
        name=entry.name,
        authority=entry.authority.name,
        approved=formats.date_format(timezone.localtime(entry.approved_at), "DATE_FORMAT"),
        level=entry.level,
        measures=", ".join(str(m) for m in entry.measure_labels) or "–",
        expires=formats.date_format(timezone.localtime(entry.expires_at), "DATE_FORMAT"),
    )
    return text.format_map(values)


def create_for(entry: Entry, now: datetime) -> SubjectLetter | None:
    """Called by ``services.approve_entry`` when the entry becomes active; once per entry."""
    if SubjectLetter.objects.filter(entry=entry).exists():
        return None
    template = template_for(entry.authority_id)
    return SubjectLetter.objects.create(entry=entry, text=fill(template.text, entry), sender=template.sender,
                                        created_at=now)


def pdf(letter: SubjectLetter, address: str) -> bytes:
    html = render_to_string("incidents/letter_pdf.html", {
        "letter": letter, "address": address.strip()[:500],
        "paragraphs": [p for p in letter.text.split("\n\n") if p.strip()],
        "today": timezone.localdate()})
    return render_pdf(html)


def exception_choices(authority_id: int) -> list[str]:
    return template_for(authority_id).exception_list()


def no_exception_message() -> str:
    return _("Ihre Behörde hat keine Ausnahmen dokumentiert; das Schreiben ist zu versenden.")
