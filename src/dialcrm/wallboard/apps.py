from django.apps import AppConfig


class WallboardConfig(AppConfig):
    name = "dialcrm.wallboard"
    label = "wallboard"
    default_auto_field = "django.db.models.BigAutoField"
