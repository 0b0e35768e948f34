from django.urls import path

from accounts.views import AccountViewSet, MoneyRequestViewSet, StatementViewSet

urlpatterns = [
    path("balance", AccountViewSet.as_view({"get": "balance"}), name="account-balance"),
    path("transfer", AccountViewSet.as_view({"post": "transfer"}), name="account-transfer"),
    path("transactions", AccountViewSet.as_view({"get": "transactions"}), name="account-transactions"),
    path("requests", MoneyRequestViewSet.as_view({"get": "list_requests", "post": "create"}), name="account-requests"),
    path("requests/<str:request_id>/pay", MoneyRequestViewSet.as_view({"post": "pay"}), name="account-request-pay"),
    path(
        "requests/<str:request_id>/decline",
        MoneyRequestViewSet.as_view({"post": "decline"}),
        name="account-request-decline",
    ),
    path(
        "requests/<str:request_id>/cancel",
        MoneyRequestViewSet.as_view({"post": "cancel"}),
        name="account-request-cancel",
    ),
    path("statement", StatementViewSet.as_view({"get": "statement"}), name="account-statement"),
]
