"""PDF documents drawn with WeasyPrint from HTML templates: the Art. 15 export."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from buergerkontakt.core.pdf import render_pdf

from . import services
from .models import RightsRequest


def export_pdf(request: RightsRequest) -> bytes:
    with translation.override(request.language or "de"):
        html = render_to_string("privacy/export_pdf.html", {
            "rr": request, "data": services.personal_data(request), "now": timezone.localtime()})
    return render_pdf(html)
