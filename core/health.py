from django.http import JsonResponse

from accounts.stores import ledger_store
from core.errors import is_database_unreachable


def healthz(request):
    """200 when the database can serve the wallet, 503 (with the reason) when it cannot."""
    try:
        health = ledger_store().health()
    except Exception as error:
        if not is_database_unreachable(error):
            raise
        return JsonResponse(
            {"status": "unavailable", "database": {"status": "down", "error": str(error)[:200]}}, status=503
        )
    return JsonResponse(health.body, status=health.status)
