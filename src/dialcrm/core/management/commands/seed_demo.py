from django.core.management.base import BaseCommand

from dialcrm.core.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_company


class Command(BaseCommand):
    help = "Create the demo company and its logins (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        company = seed_demo_company()
        self.stdout.write(f"Demo company: {company}")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<20} {DEMO_PASSWORD}   {login.description}")
