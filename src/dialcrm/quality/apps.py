from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "dialcrm.quality"
    label = "quality"
    default_auto_field = "django.db.models.BigAutoField"
