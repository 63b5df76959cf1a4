"""URLs of the campaigns app: the areas' patterns, in the seed's order."""

from dialcrm.campaigns.views import campaigns, clients, lists

app_name = "campaigns"

urlpatterns: list = [
    *clients.urlpatterns,
    *lists.urlpatterns,
    *campaigns.urlpatterns,
]
