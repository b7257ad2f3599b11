"""A local SMTP server that accepts every message and files it in a Maildir, for development and tests.

Like a real mail store (Gmail, for one), it files a message once per Message-ID and recipients: a
copy sent again is accepted (so the sender does not retry it) and dropped, with a line in the log.
That is the receiver's half of sending each notification once (see notifications.services).

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

DROPPED = "smtp sink: dropped a copy of"


class MaildirHandler:
    def __init__(self, maildir: Path):
        self.box = mailbox.Maildir(maildir, create=True)
        # What is filed already, so a restarted sink still knows (messages without a Message-ID are
        # always filed: nothing tells their copies apart).
        self.filed = {_identity(message["Message-ID"], message["X-Envelope-To"]) for message in self.box} - {None}

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        recipients = ", ".join(envelope.rcpt_tos)
        identity = _identity(message["Message-ID"], recipients)
        if identity is not None and identity in self.filed:
            print(f"{DROPPED} {message['Message-ID']} to {recipients}", flush=True)
            return "250 Message accepted for delivery"
        message["X-Envelope-To"] = recipients
        self.box.add(mailbox.MaildirMessage(message))
        if identity is not None:
            self.filed.add(identity)
        return "250 Message accepted for delivery"


def _identity(message_id: str | None, recipients: str | None) -> tuple[str, str] | None:
    return (message_id.strip(), recipients or "") if message_id else None


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
