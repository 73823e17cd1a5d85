"""Settings of the browser journeys' server process (``tests/liveserver.py``).

The product's settings, with one change: without Redis the cache is a folder instead of the
process's memory, so a test can empty it before it starts. Each test begins on a flushed database
whose ids start again at 1 (``live_url``); a document cached for "location 1" by an earlier
journey must not be served to the next one. With Redis the test empties the shared cache itself.
"""

import os

from buergerkontakt.settings import *  # noqa: F403
from buergerkontakt.settings import CACHES

if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["BK_E2E_CACHE_DIR"],
        }
    }
