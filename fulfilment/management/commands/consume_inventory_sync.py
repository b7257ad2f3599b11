from events.management.consumer_command import ConsumerCommand


class Command(ConsumerCommand):
    help = "Consumer group `inventory-sync`: pushes stock changes to each farmer's warehouse system."
    group = "inventory-sync"
