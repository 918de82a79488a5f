from django.urls import include, path

from programs import views, webhooks

app_name = "programs"
urlpatterns = [
    # The signed value comes first so the request log redacts it like any token.
    path("programs/<str:signed>/confirm/", views.confirm, name="confirm"),
    path("programs/<slug:slug>/join/", views.join, name="join"),
    path("programs/<str:token>/", views.manage, name="manage"),
    path("programs/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("anymail/", include(webhooks.tracking_urlpatterns())),
]
