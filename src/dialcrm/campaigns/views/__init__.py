"""Screens of the campaigns app, one module per area (clients, call lists, imports, work sheets,
statuses, DNC lists, campaigns); each module exports its `urlpatterns`."""
