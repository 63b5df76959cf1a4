"""API routes of the campaigns app, one module per area; each module exports a `router`."""

from ninja import Router

from dialcrm.campaigns.api import dnc as dnc_api
from dialcrm.campaigns.api import imports as imports_api
from dialcrm.campaigns.api import setup
from dialcrm.campaigns.api import statuses as statuses_api
from dialcrm.campaigns.api import worksheets as worksheets_api

router = Router()
router.add_router("", setup.router)
router.add_router("", worksheets_api.router)
router.add_router("", statuses_api.router)
router.add_router("", imports_api.router)
router.add_router("", dnc_api.router)
