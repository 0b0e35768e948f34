"""The root of every domain error. Each knows its HTTP status and its contract message.

Services raise these; the one API exception handler turns them into responses, so a
view never builds an error body by hand and the messages live in one place per app.
"""


class ServiceError(Exception):
    status_code = 400
    message = "Bad request"

    def __init__(self, message: str | None = None, *, errors: dict | None = None):
        self.message = message or self.message
        self.errors = errors or {}
        super().__init__(self.message)

    def body(self) -> dict:
        body = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class ServiceUnavailable(ServiceError):
    status_code = 503
    message = "Service temporarily unavailable, please retry"


class DatabaseUnavailable(ServiceUnavailable):
    message = "Database unavailable, please retry shortly"


class ServiceBusy(ServiceUnavailable):
    message = "Too many concurrent requests for this account, please retry"
