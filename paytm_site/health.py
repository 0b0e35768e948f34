from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """200 when the database answers a query, 503 (with the reason) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return JsonResponse(
            {"status": "unavailable", "database": {"status": "down", "vendor": connection.vendor, "error": str(error)[:200]}},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": {"status": "up", "vendor": connection.vendor}})
