from django.core.management import BaseCommand, CommandError

from events.clients import EVENT_ID_HEADER, EVENT_TYPE_HEADER
from events.dead_letters import dead_letter_replay, dead_letter_status, dead_letters_read


class Command(BaseCommand):
    help = (
        "List the dead-letter topic (position, group, status, event, reason). With --replay, hand the "
        "pending ones (or those at --position) to their group's handler again; without it nothing changes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--group", help="only this consumer group's dead letters")
        parser.add_argument("--position", action="append", default=[], help="PARTITION:OFFSET (repeatable)")
        parser.add_argument("--replay", action="store_true", help="replay the pending dead letters listed")

    def handle(self, *args, **options) -> None:
        letters = dead_letters_read(group=options["group"])
        if options["position"]:
            letters = [letter for letter in letters if letter.position in set(options["position"])]
            missing = set(options["position"]) - {letter.position for letter in letters}
            if missing:
                raise CommandError(f"no dead letter at {', '.join(sorted(missing))}")
        if not letters:
            self.stdout.write("no dead letters")
            return
        for letter in letters:
            status = dead_letter_status(letter)
            headers = letter.headers
            self.stdout.write(
                f"{letter.position}  {letter.group}  {status}  {headers.get(EVENT_TYPE_HEADER, '-')} "
                f"{headers.get(EVENT_ID_HEADER, '-')}  after {letter.attempts} attempt(s): {letter.reason}"
            )
            if options["replay"] and status == "pending":
                try:
                    self.stdout.write(f"  replayed: {dead_letter_replay(letter=letter)}")
                except Exception as exc:
                    self.stdout.write(f"  still failing: {type(exc).__name__}: {exc}")
