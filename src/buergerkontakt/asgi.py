"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")

import django
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application()

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from buergerkontakt.core.asgi_handler import PooledThreadASGIHandler  # noqa: E402

# Django's ASGI handler, with request threads reused instead of one new thread per request
# (ADR 0010); REQUEST_THREAD_POOL=false falls back to Django's own handler unchanged.
django_asgi_app = PooledThreadASGIHandler() if settings.REQUEST_THREAD_POOL else ASGIHandler()

# Load the URL configuration (and with it every API schema) now, while the worker starts, instead
# of in the first request each worker serves – that took about half a second of CPU per worker.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

from channels.auth import AuthMiddlewareStack  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
