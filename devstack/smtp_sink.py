"""A local SMTP server that accepts every message and files it in a Maildir, for development and tests.

Run as `python -m devstack.smtp_sink --port PORT --maildir DIR`; it stops on SIGTERM.
"""

import argparse
import mailbox
import signal
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, maildir: Path):
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.box.add(mailbox.MaildirMessage(message))
        return "250 Message accepted for delivery"


def read_messages(maildir: Path) -> list[mailbox.MaildirMessage]:
    """Every message the sink has filed, oldest first."""
    box = mailbox.Maildir(maildir, create=True)
    return sorted(box, key=lambda m: m.get_date())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    controller.start()
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
