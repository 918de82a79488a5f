from django.urls import path

from accounts import api

urlpatterns = [
    path("account/sign-in/", api.SignInLinkApi.as_view(), name="api-account-sign-in"),
]
