"""The one CSV mechanism for downloads and open data.

* Staff downloads (:func:`download`): semicolon-separated UTF-8 with a byte-order mark and CRLF, so
  German Excel and LibreOffice open them with umlauts and decimal commas intact; never cached
  (``private, no-store``) – they hold names of staff and citizens.
* Open data (:func:`open_data_text`): RFC 4180, comma-separated, no byte-order mark.
* Every cell passes :func:`cell`: text that a spreadsheet would read as a formula (leading ``=``,
  ``+``, ``-``, ``@``, tab or carriage return – OWASP "CSV injection") gets a leading apostrophe,
  unless it is a plain number such as ``-1,5``. A citizen's name typed as ``=HYPERLINK(…)`` into a
  booking form therefore stays text in the case worker's spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _write(out: io.StringIO, header: Sequence, rows: Iterable[Sequence], delimiter: str) -> None:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])


def download(filename: str, header: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")
    _write(out, header, rows, ";")
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def open_data_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    _write(out, header, rows, ",")
    return out.getvalue()
