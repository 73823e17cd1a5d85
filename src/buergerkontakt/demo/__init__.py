"""Demo data and demo logins, installed only in demo mode (``DEMO_MODE=true``, ``make db``/``make run``).

No product app imports this package; production never loads it (docs/adr/0022-demo-app.md).
"""
