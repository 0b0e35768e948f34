"""OpenAPI description of our bearer-token authentication (drf-spectacular extension)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BearerTokenScheme(SimpleJWTScheme):
    target_class = "users.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
