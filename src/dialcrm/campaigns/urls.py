"""URLs of the campaigns app: the areas' patterns, in the seed's order."""

from dialcrm.campaigns.views import campaigns, clients, dnc, imports, lists
from dialcrm.campaigns.views import statuses as status_views
from dialcrm.campaigns.views import worksheets as worksheet_views

app_name = "campaigns"

urlpatterns: list = [
    *clients.urlpatterns,
    *lists.urlpatterns,
    *campaigns.urlpatterns,
    *worksheet_views.urlpatterns,
    *status_views.urlpatterns,
    *imports.urlpatterns,
    *dnc.urlpatterns,
]
