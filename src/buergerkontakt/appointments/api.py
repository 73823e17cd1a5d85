"""REST API of the appointments (filled in by the API work)."""

from ninja import Router

router = Router()
