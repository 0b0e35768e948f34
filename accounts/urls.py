from django.urls import path

from accounts.views import AccountViewSet

urlpatterns = [
    path("balance", AccountViewSet.as_view({"get": "balance"}), name="account-balance"),
    path("transfer", AccountViewSet.as_view({"post": "transfer"}), name="account-transfer"),
    path("transactions", AccountViewSet.as_view({"get": "transactions"}), name="account-transactions"),
]
