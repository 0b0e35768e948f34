from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """200 when the database can serve the wallet, 503 (with the reason) when it cannot."""
    if connection.vendor == "mongodb":
        return _mongodb_health()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return _down(error)
    return JsonResponse({"status": "ok", "database": {"status": "up", "vendor": connection.vendor}})


def _down(error) -> JsonResponse:
    return JsonResponse(
        {
            "status": "unavailable",
            "database": {"status": "down", "vendor": connection.vendor, "error": str(error)[:200]},
        },
        status=503,
    )


def _mongodb_health() -> JsonResponse:
    """A standalone mongod answers queries but cannot run the transactions every transfer
    needs: that is reported here (503) instead of surfacing as a driver error on a transfer."""
    from pymongo.errors import PyMongoError

    from accounts.stores.mongo import REPLICA_SET_HELP, transactions_supported

    try:
        supported = transactions_supported(connection)
    except PyMongoError as error:
        return _down(error)
    database = {"status": "up", "vendor": "mongodb", "transactions": "available" if supported else "unavailable"}
    if supported:
        return JsonResponse({"status": "ok", "database": database})
    return JsonResponse({"status": "degraded", "database": {**database, "help": REPLICA_SET_HELP}}, status=503)
