"""WebSocket routes of the ASGI application; each real-time app (the agent's desk, the
wallboard) adds its consumers here."""

from django.urls import URLPattern

from dialcrm.desk.consumers import websocket_urlpatterns as desk_websockets

websocket_urlpatterns: list[URLPattern] = [*desk_websockets]
