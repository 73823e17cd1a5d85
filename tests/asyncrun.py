"""Run an async test scenario from a synchronous test, whatever else holds the main thread's
event loop (Playwright's sync API keeps one running after the browser journeys)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.db import connections


def run_async(scenario):
    def target():
        try:
            return async_to_sync(scenario)()
        finally:
            connections.close_all()  # the worker thread's own database connections

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(target).result()


def run_in_thread(function, *args, **kwargs):
    """Call a synchronous function that pushes over the channel layer (``async_to_sync``) from a
    thread without a running event loop."""
    def target():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(target).result()
