from django.urls import path

from web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup", views.signup_page, name="signup"),
    path("signin", views.signin_page, name="signin"),
    path("signout", views.signout, name="signout"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("send", views.send_page, name="send"),
]
