from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("account/", views.account, name="account"),
    # The token comes right after sign-in/ so the request log shortens it like any token (core.redaction).
    path("account/sign-in/<str:token>/", views.sign_in, name="sign_in"),
    path("account/sign-out/", views.sign_out, name="sign_out"),
    path("account/preferences/", views.preferences, name="preferences"),
    path("account/data.json", views.export, name="export"),
    path("account/erase/", views.erase, name="erase"),
]
