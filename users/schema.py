"""OpenAPI description of our bearer-token authentication (drf-spectacular extension)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BearerTokenScheme(SimpleJWTScheme):
    target_class = "users.authentication.BearerTokenAuthentication"
    name = "bearerAuth"


class OptionalBearerTokenScheme(BearerTokenScheme):
    """The same scheme where a token is optional (public search)."""

    target_class = "users.authentication.OptionalBearerTokenAuthentication"
    name = "optionalBearerAuth"
    optional = True
