"""The abandon guard no longer pauses a campaign (it holds dialing to one call per ready agent):
a campaign it paused stays paused, its reason kept in words, without the stop code."""

from django.db import migrations, models


def forget_guard_pauses(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(stop_code="abandon_guard").update(stop_code="")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_campaign_stop_code"),
    ]

    operations = [
        migrations.RunPython(forget_guard_pauses, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="campaign",
            name="stop_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("objective_reached", "Objective reached"),
                    ("list_exhausted", "No lead left to call"),
                    ("ended", "End date passed"),
                ],
                max_length=20,
                verbose_name="stopped by the dialer",
            ),
        ),
    ]
