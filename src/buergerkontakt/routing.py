"""WebSocket routes of all apps (alarms, call display, live worklists join here)."""

from django.urls import path

from buergerkontakt.alarms.consumers import AgentConsumer, AlarmConsumer
from buergerkontakt.telephony.consumers import PhoneConsumer
from buergerkontakt.walkin import consumers as queue_consumers

websocket_urlpatterns: list = [
    path("ws/alarm/", AlarmConsumer.as_asgi()),
    path("ws/alarm/agent/", AgentConsumer.as_asgi()),
    path("ws/telefonie/", PhoneConsumer.as_asgi()),
    path("ws/anzeige/<str:key>/", queue_consumers.DisplayConsumer.as_asgi()),
    path("ws/wartenummer/<int:pk>/<str:secret>/", queue_consumers.TicketConsumer.as_asgi()),
]
