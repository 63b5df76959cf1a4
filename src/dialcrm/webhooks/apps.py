from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "dialcrm.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialcrm.core import worker
        from dialcrm.webhooks.delivery import deliver_due, prune_log

        worker.register_periodic(worker.PeriodicWork("webhook deliveries", deliver_due))
        worker.register_periodic(
            worker.PeriodicWork("webhook log pruning", prune_log, every_seconds=3600)
        )
