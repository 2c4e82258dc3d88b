from django.contrib.auth import views as auth_views
from django.urls import path

from ektp.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True), name="login"),
    # Django's LogoutView answers POST only, so a link on another site cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
