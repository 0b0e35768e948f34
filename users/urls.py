from django.urls import path

from users.views import UserViewSet

urlpatterns = [
    path("signup", UserViewSet.as_view({"post": "signup"}), name="user-signup"),
    path("signin", UserViewSet.as_view({"post": "signin"}), name="user-signin"),
    path("token/refresh", UserViewSet.as_view({"post": "refresh"}), name="user-token-refresh"),
    path("bulk", UserViewSet.as_view({"get": "bulk"}), name="user-bulk"),
    path("me", UserViewSet.as_view({"get": "me"}), name="user-me"),
    path("signout", UserViewSet.as_view({"post": "signout"}), name="user-signout"),
]
