"""The tokens a person gets (SimpleJWT), and what makes one current.

Every token carries the generation of its person's tokens it was issued in; signing out
everywhere raises the person's generation, and tokens of earlier ones are refused from then
on (access tokens by the authentication, which reads the person on every request; refresh
tokens by the refresh)."""

from rest_framework_simplejwt.tokens import RefreshToken

TOKEN_GENERATION_CLAIM = "gen"


def tokens_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_GENERATION_CLAIM] = user.token_generation  # copied into the access token
    return {"token": str(refresh.access_token), "refresh": str(refresh)}


def token_is_current(token, user) -> bool:
    """Whether `token` was issued since the person last signed out everywhere."""
    return token.get(TOKEN_GENERATION_CLAIM, 0) == user.token_generation
