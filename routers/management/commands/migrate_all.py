from django.core.management import BaseCommand, call_command

from routers.placement import writable_aliases


class Command(BaseCommand):
    help = "Apply migrations on the primary and on every order shard (the replica follows the primary)."

    def handle(self, *args, **options) -> None:
        for alias in writable_aliases():
            self.stdout.write(f"migrating {alias}")
            call_command("migrate", database=alias, interactive=False, verbosity=max(options["verbosity"] - 1, 0))
