"""API routes of the campaigns app, one module per area; each module exports a `router`."""

from ninja import Router

router = Router()
