import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from urbanharvest.sessions import SessionStore


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_a_changed_session_is_saved_in_one_statement_and_reads_back():
    session = SessionStore()
    session["cart"] = {"1": 2}
    session.save()
    session["cart"] = {"1": 3}

    with CaptureQueriesContext(connection) as queries:
        session.save()

    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    assert SessionStore(session.session_key)["cart"] == {"1": 3}


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_saving_a_session_whose_row_is_gone_is_refused():
    session = SessionStore()
    session["cart"] = {"1": 2}
    session.save()
    Session.objects.filter(session_key=session.session_key).delete()
    session["cart"] = {}

    with pytest.raises(UpdateError):
        session.save()

    assert not Session.objects.filter(session_key=session.session_key).exists()
