from rest_framework_simplejwt.authentication import JWTAuthentication


class BearerTokenAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, answered with 403 (the contract) rather than 401.

    DRF sends 401 only when the first authenticator names a WWW-Authenticate scheme;
    by naming none, every missing or bad token becomes 403 with a `message`.
    """

    def authenticate_header(self, request):
        return None
