"""Per-request replica routing: the read-your-writes pin, and a retry on the primary when the
replica fails under a request."""

from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from routers.replica import reads_from_primary, replica_health, replica_used_by_this_request, request_routing

PIN_COOKIE = "uh_primary_pin"
PIN_SALT = "routers.replica.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReplicaPinMiddleware:
    """Pins a request to the primary when it carries a live pin cookie or asks for a path that
    always reads the primary (`REPLICA_PRIMARY_PATHS`: the admin, where editors work), and sets
    the cookie (for `REPLICA_PIN_SECONDS`) on the response of a request that wrote catalog data.

    The pin is a signed cookie, not the session, so that anonymous shoppers' pages cost no session
    read; it only ever sends a browser's reads to the primary, so forging one gains nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_routing(pinned=self._pinned(request)) as routing:
            response = self.get_response(request)
            if routing.wrote:
                seconds = settings.REPLICA_PIN_SECONDS
                response.set_signed_cookie(
                    PIN_COOKIE,
                    "1",
                    salt=PIN_SALT,
                    max_age=seconds,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A read-only request whose replica failed under it is answered again from the primary,
        and the replica is taken out of service until its health check passes."""
        if request.method not in SAFE_METHODS or not isinstance(exception, OperationalError | InterfaceError):
            return None
        # The retry reads only the primary, so a failure in it is not the replica's and ends here.
        if replica_used_by_this_request():
            replica_health.mark_unusable(f"a query failed: {type(exception).__name__}")
            with reads_from_primary():
                return self.get_response(request)
        return None

    @staticmethod
    def _pinned(request: HttpRequest) -> bool:
        if request.path.startswith(tuple(settings.REPLICA_PRIMARY_PATHS)):
            return True
        # Signed cookies carry their signing time: max_age refuses one older than the pin lasts.
        try:
            request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.REPLICA_PIN_SECONDS)
        except (KeyError, signing.BadSignature):
            return False
        return True
