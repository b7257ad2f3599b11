"""A logging handler that keeps the last ERROR records of every process in a table on the primary,
so the ops page shows errors from the web workers, the relay and the consumers alike.

It writes through a connection of its own, in autocommit: an error logged inside a transaction that
then rolls back must still be recorded, and must not disturb that transaction. Recording is best
effort: the console handler has already printed the record, and a logging handler must never raise.
"""

import contextlib
import logging
import threading

from django.db import DatabaseError, connections
from opentelemetry.instrumentation.utils import suppress_instrumentation

from routers.placement import PRIMARY_ALIAS
from urbanharvest import telemetry

MESSAGE_LIMIT = 4000


class RecentErrorsHandler(logging.Handler):
    def __init__(self, level: int = logging.ERROR):
        super().__init__(level)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):
            return  # a record logged while recording one: never recurse
        self._local.busy = True
        try:
            with suppress_instrumentation():
                self._insert(record)
        except DatabaseError:
            # Reconnect next time: the server may have restarted under this connection.
            with contextlib.suppress(DatabaseError):
                self._local.connection.close()
        except RuntimeError:
            pass  # the test runner forbids database access outside database tests
        except Exception:
            self.handleError(record)  # logging's own way: report on stderr, never raise into the caller
        finally:
            self._local.busy = False

    def _insert(self, record: logging.LogRecord) -> None:
        from ops.models import RING_SIZE, RecentError

        message = self.format(record)[:MESSAGE_LIMIT]
        trace_id = getattr(record, "trace_id", "-")
        table = RecentError._meta.db_table
        with self._connection().cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (logged_at, service, logger, message, trace_id)"  # noqa: S608 - our own table name
                " VALUES (now(), %s, %s, %s, %s) RETURNING id",
                [telemetry.service_name()[:60], record.name[:200], message, "" if trace_id == "-" else trace_id],
            )
            (new_id,) = cursor.fetchone()
            if new_id % 50 == 0:
                cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [new_id - RING_SIZE])  # noqa: S608

    def _connection(self):
        if getattr(self._local, "connection", None) is None:
            self._local.connection = connections.create_connection(PRIMARY_ALIAS)
        return self._local.connection
