from django.core.management import BaseCommand

from events.clients import EVENT_TOPICS, topics_ensure


class Command(BaseCommand):
    help = "Create the event topics (order events and their dead letters) where they do not exist yet."

    def handle(self, *args, **options) -> None:
        created = topics_ensure()
        for topic in EVENT_TOPICS:
            self.stdout.write(f"{topic}: {'created' if topic in created else 'exists'}")
