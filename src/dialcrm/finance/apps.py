from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "dialcrm.finance"
    label = "finance"
    default_auto_field = "django.db.models.BigAutoField"
