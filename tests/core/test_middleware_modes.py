"""Our own middleware runs natively in both modes (Django's ``sync_and_async_middleware``): under
ASGI it stays on the event loop – no thread switch per request – and under WSGI or the test client
it is plain synchronous code. Issue 24 item 9: no private base class for that any more."""

from __future__ import annotations

import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpResponse
from django.test import AsyncRequestFactory, RequestFactory
from django.utils.module_loading import import_string

from tests.asyncrun import run_async

OURS = [path for path in settings.MIDDLEWARE if path.startswith("buergerkontakt.")]


def test_our_middleware_is_listed():
    assert len(OURS) == 3


@pytest.mark.parametrize("path", OURS)
def test_sync_chain_gets_a_plain_function(path):
    factory = import_string(path)
    middleware = factory(lambda request: HttpResponse("ok"))
    assert not iscoroutinefunction(middleware)
    request = RequestFactory().get("/healthz")
    request.user = None
    request.session = {}
    assert middleware(request).status_code == 200


@pytest.mark.parametrize("path", OURS)
def test_async_chain_gets_a_coroutine_function(path):
    async def view(request):
        return HttpResponse("ok")

    factory = import_string(path)
    assert factory.sync_capable and factory.async_capable
    middleware = factory(view)
    assert iscoroutinefunction(middleware)
    request = AsyncRequestFactory().get("/healthz")
    request.session = {}
    async def scenario():
        return await middleware(request)

    assert run_async(scenario).status_code == 200


def test_request_log_adds_the_request_id_in_both_modes():
    from buergerkontakt.core.logs import request_log_middleware

    sync = request_log_middleware(lambda request: HttpResponse("ok"))
    given = "abcdef12-3456"
    assert sync(RequestFactory().get("/", HTTP_X_REQUEST_ID=given))["X-Request-ID"] == given

    async def view(request):
        return HttpResponse("ok")

    async def scenario():
        return await request_log_middleware(view)(AsyncRequestFactory().get("/"))

    assert len(run_async(scenario)["X-Request-ID"]) == 32
