from events.management.consumer_command import ConsumerCommand


class Command(ConsumerCommand):
    help = "Consumer group `notifications`: the shopper's confirmation email and SMS, each farmer's new-order email."
    group = "notifications"
