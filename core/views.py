"""Views every deployment has, whatever the apps: the health check load balancers probe, and
the metrics Prometheus scrapes."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from core import metrics
from core.health import current_health


def healthz(request):
    """200 when this server can serve the wallet, 503 when it cannot."""
    health = current_health()
    return JsonResponse({"status": health.status, "database": health.database}, status=200 if health.serving else 503)


def metrics_view(request):
    """The Prometheus text format, to METRICS_ALLOWED_IPS or to `Authorization: Bearer
    <METRICS_TOKEN>`; 403 to anyone else (the figures tell how the business is doing)."""
    if not _may_scrape(request):
        return JsonResponse({"message": "Metrics are not public", "code": "forbidden"}, status=403)
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST)


def _may_scrape(request) -> bool:
    if request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS:
        return True
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
