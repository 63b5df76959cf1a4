"""API routes of the campaigns app, one module per area; each module exports a `router`."""

from ninja import Router

from dialcrm.campaigns.api import setup

router = Router()
router.add_router("", setup.router)
