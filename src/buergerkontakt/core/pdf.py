"""The one way documents become PDF: HTML templates drawn by WeasyPrint (Debian's Pango underneath,
installed by ``make install``). Documents reference nothing outside themselves: no network, no
files, fonts from the system (DejaVu)."""

from __future__ import annotations

from weasyprint import HTML


def render_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=None).write_pdf()
