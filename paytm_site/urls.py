from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import healthz, metrics_view
from users.views import UserViewSet

urlpatterns = [
    # PUT /api/v1/user has no trailing path, so it cannot live under the "user/" include.
    path("api/v1/user", UserViewSet.as_view({"put": "update_profile"}), name="user-update"),
    path("api/v1/user/", include("users.urls")),
    path("api/v1/account/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # Browsers ask for /favicon.ico on every page that names no icon (the admin, API docs).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("", include("web.urls")),
]

handler404 = "core.api.errors.json_not_found"
handler500 = "core.api.errors.json_server_error"
