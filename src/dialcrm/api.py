"""The JSON API: one NinjaAPI, a router per app. Interactive docs at /api/docs."""

from ninja import NinjaAPI

from dialcrm.campaigns.api import router as campaigns_router
from dialcrm.catalog.api import router as catalog_router
from dialcrm.core.api import AUTH, install_error_handlers
from dialcrm.core.api import router as core_router
from dialcrm.org.api import router as org_router
from dialcrm.telephony.api import router as telephony_router

api = NinjaAPI(
    title="dialcrm API",
    version="1",
    description="Organisation, campaigns and dialing of dialcrm. Authenticate with a signed-in "
    "session or an API token (`Authorization: Bearer <token>`).",
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/admin", core_router)
api.add_router("/org", org_router)
api.add_router("/catalog", catalog_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("/telephony", telephony_router)
api.add_router("/desk", "dialcrm.desk.api.router")
api.add_router("/finance", "dialcrm.finance.api.router")
api.add_router("/quality", "dialcrm.quality.api.router")
api.add_router("/webhooks", "dialcrm.webhooks.api.router")
api.add_router("/wallboard", "dialcrm.wallboard.api.router")
api.add_router("/reports", "dialcrm.reports.api.router")
