"""Views every deployment has, whatever the apps: the health check load balancers probe."""

from django.http import JsonResponse

from core.health import current_health


def healthz(request):
    """200 when this server can serve the wallet, 503 when it cannot."""
    health = current_health()
    return JsonResponse({"status": health.status, "database": health.database}, status=200 if health.serving else 503)
