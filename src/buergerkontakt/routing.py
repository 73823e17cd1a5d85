"""WebSocket routes of all apps (alarms, call display, live worklists join here)."""

websocket_urlpatterns: list = []
