"""WebSocket routes of the ASGI application; each real-time app (the agent's desk, the
wallboard) adds its consumers here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
