"""The session engine: Django's database sessions, with an update saved as its one statement.

Django wraps every session save in a transaction so that a failed INSERT of a new session cannot
break a transaction the caller has open. Updating an existing session is one UPDATE, atomic by
itself, so outside a transaction the BEGIN and COMMIT around it are only two more round trips, on
every request that changes its session (each checkout step does). Creating a session, and any save
inside an open transaction, stay exactly Django's.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError, connections, router


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        using = router.db_for_write(self.model)
        if must_create or self.session_key is None or connections[using].in_atomic_block:
            return super().save(must_create=must_create)
        session = self.create_model_instance(self._get_session())
        try:
            session.save(force_update=True, using=using)
        except DatabaseError:
            # The row is gone (expired and cleared, or the user logged out elsewhere).
            raise UpdateError from None
