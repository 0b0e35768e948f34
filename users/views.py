"""The `/api/v1/user` endpoints: thin, each validates input and calls one service or selector."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer, MessageSerializer
from core.api.views import ApiViewSet, MalformedRequest
from core.pagination import clamp_limit, parse_offset
from users import serializers as io
from users.authentication import OptionalBearerTokenAuthentication
from users.exceptions import (
    SigninFailed,
    SignupRejected,
    TokenRejected,
    UpdateRejected,
)
from users.selectors import SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, user_search
from users.services import access_token_refresh, user_signin, user_signout, user_signup, user_update
from users.throttling import AuthRateThrottle
from users.tokens import tokens_for

MESSAGE_SIGNUP_SUCCESS = "User created successfully"
MESSAGE_UPDATE_SUCCESS = "Updated successfully"
MESSAGE_SIGNED_OUT = "Signed out"
ERRORS_411 = {411: ErrorSerializer, 429: ErrorSerializer}
PUBLIC_AUTH_ACTIONS = {"signup", "signin", "refresh"}


class UserViewSet(ApiViewSet):
    serializer_class = MessageSerializer
    input_serializers = {
        "signup": io.SignupInputSerializer,
        "signin": io.SigninInputSerializer,
        "refresh": io.RefreshInputSerializer,
        "update_profile": io.UserUpdateInputSerializer,
        "signout": io.SignoutInputSerializer,
    }

    def get_permissions(self):
        if self.action in {"update_profile", "me", "signout"}:
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_authenticators(self):
        # Sign-up, sign-in and refresh ignore any (possibly stale) Authorization header, and
        # public search takes a token only to leave its owner out: a bad one is ignored there.
        # This runs before `self.action` is set, so read the action from the route.
        request = getattr(self, "request", None)
        action_map = getattr(self, "action_map", None) or {}
        action = action_map.get(request.method.lower()) if request is not None else None
        if action in PUBLIC_AUTH_ACTIONS:
            return []
        if action == "bulk":
            return [OptionalBearerTokenAuthentication()]
        return super().get_authenticators()

    def get_throttles(self):
        return [AuthRateThrottle()] if self.action in {"signup", "signin"} else []

    @extend_schema(request=io.SignupInputSerializer, responses={200: io.SignupOutputSerializer, **ERRORS_411}, auth=[])
    def signup(self, request):
        data = self.validated_input(error=SignupRejected)
        user = user_signup(
            email=data["username"], first_name=data["firstName"], last_name=data["lastName"], password=data["password"]
        )
        return Response({"message": MESSAGE_SIGNUP_SUCCESS, **tokens_for(user), "userId": str(user.public_id)})

    @extend_schema(request=io.SigninInputSerializer, responses={200: io.TokenPairSerializer, **ERRORS_411}, auth=[])
    def signin(self, request):
        data = self.validated_input(error=SigninFailed, details=False)
        user = user_signin(email=data["username"], password=data["password"], request=request)
        return Response(tokens_for(user))

    @extend_schema(
        request=io.RefreshInputSerializer, responses={200: io.TokenPairSerializer, 403: ErrorSerializer}, auth=[]
    )
    def refresh(self, request):
        """A new access token and a new refresh token; the refresh token sent stops working."""
        data = self.validated_input(error=TokenRejected)
        return Response(access_token_refresh(refresh=data["refresh"]))

    @extend_schema(responses={200: io.MeSerializer, 403: ErrorSerializer})
    def me(self, request):
        return Response(io.MeSerializer(request.user).data)

    @extend_schema(
        request=io.SignoutInputSerializer,
        responses={200: MessageSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def signout(self, request):
        data = self.validated_input(error=MalformedRequest)
        user_signout(user=request.user, refresh=data.get("refresh"), everywhere=data["everywhere"])
        return Response({"message": MESSAGE_SIGNED_OUT})

    @extend_schema(
        request=io.UserUpdateInputSerializer,
        responses={200: MessageSerializer, 403: ErrorSerializer, 411: ErrorSerializer},
    )
    def update_profile(self, request):
        data = self.validated_input(error=UpdateRejected)
        user_update(
            user=request.user,
            first_name=data.get("firstName"),
            last_name=data.get("lastName"),
            password=data.get("password"),
        )
        return Response({"message": MESSAGE_UPDATE_SUCCESS})

    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, description="Case-insensitive text in the first or last name."),
            OpenApiParameter("limit", int, description=f"1 to {SEARCH_MAX_LIMIT}, default {SEARCH_DEFAULT_LIMIT}."),
            OpenApiParameter("cursor", str, description="`next` from the previous page."),
            OpenApiParameter("offset", int, description="Rows to skip (instead of a cursor)."),
        ],
        responses={200: io.UserSearchOutputSerializer, 403: ErrorSerializer},
    )
    def bulk(self, request):
        params = request.query_params
        limit = clamp_limit(params.get("limit"), default=SEARCH_DEFAULT_LIMIT, maximum=SEARCH_MAX_LIMIT)
        offset = parse_offset(params.get("cursor") or params.get("offset"))
        caller = request.user if request.user.is_authenticated else None
        page = user_search(query=params.get("filter", ""), exclude=caller, offset=offset, limit=limit)
        people = io.PersonSerializer(page.items, many=True).data
        return Response({"users": people, "user": people, "next": page.next_cursor})
