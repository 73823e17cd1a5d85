"""The one way documents become PDF: HTML templates drawn by WeasyPrint (Debian's Pango underneath,
installed by ``make install``). Documents reference nothing outside themselves: no network, no
files, fonts from the system (DejaVu).

WeasyPrint is imported on first use only: loading it parses its stylesheets and Pango, which every
web worker and management command would otherwise pay at start-up.
"""

from __future__ import annotations

import logging


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress lines are not news
    return HTML(string=html, base_url=None).write_pdf()
