"""URLs of the campaigns app: the areas' patterns, in the seed's order."""

app_name = "campaigns"

urlpatterns: list = []
