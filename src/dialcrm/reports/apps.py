from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dialcrm.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialcrm.core import worker
        from dialcrm.reports.services import send_due_reports

        worker.register_periodic(
            worker.PeriodicWork("scheduled reports", send_due_reports, every_seconds=30)
        )
