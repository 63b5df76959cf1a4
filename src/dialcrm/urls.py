from django.urls import include, path
from django.views.i18n import set_language

from dialcrm.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("org/", include("dialcrm.org.urls")),
    path("catalog/", include("dialcrm.catalog.urls")),
    path("campaigns/", include("dialcrm.campaigns.urls")),
    path("desk/", include("dialcrm.desk.urls")),
    path("reports/", include("dialcrm.reports.urls")),
    path("finance/", include("dialcrm.finance.urls")),
    path("quality/", include("dialcrm.quality.urls")),
    path("webhooks/", include("dialcrm.webhooks.urls")),
    path("wallboard/", include("dialcrm.wallboard.urls")),
    path("", include("dialcrm.core.urls")),
]

handler400 = "dialcrm.core.views.bad_request"
handler403 = "dialcrm.core.views.forbidden"
handler404 = "dialcrm.core.views.not_found"
handler500 = "dialcrm.core.views.server_error"
