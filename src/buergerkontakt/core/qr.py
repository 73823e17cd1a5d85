"""QR codes as inline SVG markup (no external image, no inline styles; CSP-safe)."""

from __future__ import annotations

import segno


def qr_svg(data: str, *, title: str, scale: int = 4, border: int = 4, css_class: str = "qr") -> str:
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=scale, border=border, dark="#000", light="#fff", omitsize=True,
                        svgclass=css_class, title=title)
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
