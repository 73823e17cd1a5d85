"""PDF documents drawn with WeasyPrint from HTML templates: the Art. 15 export."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from . import services
from .models import RightsRequest


def render_pdf(html: str) -> bytes:
    # base_url=None: the document may reference nothing outside itself (no network, no files)
    return HTML(string=html, base_url=None).write_pdf()


def export_pdf(request: RightsRequest) -> bytes:
    with translation.override(request.language or "de"):
        html = render_to_string("privacy/export_pdf.html", {
            "rr": request, "data": services.personal_data(request), "now": timezone.localtime()})
    return render_pdf(html)
