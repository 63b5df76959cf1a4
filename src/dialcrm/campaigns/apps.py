from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "dialcrm.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialcrm.campaigns.choices import ImportState
        from dialcrm.campaigns.dnc import run_dnc_import
        from dialcrm.campaigns.import_jobs import fail_interrupted_job
        from dialcrm.campaigns.imports import run_import
        from dialcrm.campaigns.models import DncImportJob, ImportJob
        from dialcrm.core import worker

        for name, model, run, namespace in (
            ("list imports", ImportJob, run_import, 73_001),
            ("do-not-call imports", DncImportJob, run_dnc_import, 73_002),
        ):
            worker.register_queue(
                worker.JobQueue(
                    name=name,
                    model=model,
                    run=run,
                    interrupted=fail_interrupted_job,
                    queued_state=ImportState.QUEUED,
                    running_state=ImportState.RUNNING,
                    lock_namespace=namespace,
                )
            )
