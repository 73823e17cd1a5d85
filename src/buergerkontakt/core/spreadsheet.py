"""The one CSV mechanism for downloads and open data.

* Staff downloads (:func:`download`): semicolon-separated UTF-8 with a byte-order mark and CRLF, so
  German Excel and LibreOffice open them with umlauts and decimal commas intact; never cached
  (``private, no-store``) – they hold names of staff and citizens.
* Open data (:func:`open_data_text`): RFC 4180, comma-separated, no byte-order mark.
* Uploads (:func:`read_rows`): UTF-8 with or without byte-order mark (Windows-1252 as a fallback, as
  older Excel saves it), separated by semicolons or commas; headers are matched case-insensitively.
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
from django.utils.translation import gettext as _

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class UploadError(ValueError):
    """A file that cannot be read as CSV (the message is German, for the person uploading it)."""


def read_rows(data: bytes, *, max_rows: int = 2000) -> list[dict[str, str]]:
    """The rows of an uploaded CSV file as dicts keyed by the lower-cased, trimmed header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UploadError(_("Die Datei ist leer oder hat keine Kopfzeile."))
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= max_rows:
            raise UploadError(_("Die Datei hat mehr als %(rows)d Zeilen. Bitte teilen Sie sie auf.")
                              % {"rows": max_rows})
        rows.append({name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)})
    return rows


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
