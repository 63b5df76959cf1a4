"""WebSocket routes of the ASGI application; each real-time app (the agent's desk, the
wallboard) adds its consumers here."""

from django.urls import URLPattern

from dialcrm.desk.consumers import websocket_urlpatterns as desk_websockets
from dialcrm.wallboard.consumers import websocket_urlpatterns as wallboard_websockets

websocket_urlpatterns: list[URLPattern] = [*desk_websockets, *wallboard_websockets]
