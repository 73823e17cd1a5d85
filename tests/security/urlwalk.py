"""Walk every URL pattern of the site (pages, not the API or the admin) and classify what a given
user gets: sent to sign-in, denied (403), or let through (anything else, including 404 for a
missing object and 405 for a POST-only action)."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver

SKIP_PREFIXES = ("admin/", "api/", "static/", "media/", "favicon.ico", "i18n/")
SAMPLE = {"int": "999999", "str": "XX-999", "slug": "gibt-es-nicht", "code": "ZZZZZZZZ",
          "path": "x"}


def patterns(resolver=None, prefix: str = "", namespace: str | None = None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from patterns(entry, prefix + str(entry.pattern), full)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if route.startswith(SKIP_PREFIXES):
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, route


def sample_path(route: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return SAMPLE.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def outcome(response) -> str:
    if response.status_code in (301, 302) and "/anmelden/" in response.get("Location", ""):
        return "login"
    if response.status_code == 403:
        return "denied"
    return "pass"
