from django.urls import include, path

from programs import views

app_name = "programs"
urlpatterns = [
    path("programs/confirm/<str:signed>/", views.confirm, name="confirm"),
    path("programs/<str:token>/", views.manage, name="manage"),
    path("programs/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    # django-anymail's provider webhooks (bounces, complaints) → programs.receivers.
    path("anymail/", include("anymail.urls")),
]
