from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "dialcrm.dialer"
    label = "dialer"
    default_auto_field = "django.db.models.BigAutoField"
