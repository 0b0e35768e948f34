from django.urls import path

from web import account_views, requests_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup", views.signup_page, name="signup"),
    path("signin", views.signin_page, name="signin"),
    path("signout", views.signout, name="signout"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("send", views.send_page, name="send"),
    path("requests", requests_views.requests_page, name="requests"),
    path("requests/<uuid:request_id>/pay", requests_views.pay_request, name="request-pay"),
    path("requests/<uuid:request_id>/decline", requests_views.decline_request, name="request-decline"),
    path("requests/<uuid:request_id>/cancel", requests_views.cancel_request, name="request-cancel"),
    path("receive", requests_views.receive_page, name="receive"),
    path("pay/<uuid:public_id>", requests_views.pay_link, name="pay-link"),
    path("history", account_views.history_page, name="history"),
    path("profile", account_views.profile_page, name="profile"),
    path("profile/sign-out-everywhere", account_views.sign_out_everywhere, name="sign-out-everywhere"),
]
