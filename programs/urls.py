from django.urls import include, path

from programs import views, webhooks

app_name = "programs"
urlpatterns = [
    path("programs/confirm/<str:signed>/", views.confirm, name="confirm"),
    path("programs/<str:token>/", views.manage, name="manage"),
    path("programs/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("anymail/", include(webhooks.tracking_urlpatterns())),
]
