from events.management.consumer_command import ConsumerCommand


class Command(ConsumerCommand):
    help = "Consumer group `manifests`: keeps each farmer's delivery manifest (CSV and printable HTML) up to date."
    group = "manifests"
