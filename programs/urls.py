from django.urls import include, path

from programs import tracking_views, views, webhooks

app_name = "programs"
urlpatterns = [
    # The signed value comes first so the request log redacts it like any token.
    path("programs/<str:signed>/confirm/", views.confirm, name="confirm"),
    path("programs/<slug:slug>/join/", views.join, name="join"),
    path("programs/<str:token>/", views.manage, name="manage"),
    path("programs/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("anymail/", include(webhooks.tracking_urlpatterns())),
    # Tracked lesson links and the open pixel (issue 15): short paths, the signed value is the whole key.
    path("l/<str:signed>/", tracking_views.follow_link, name="follow_link"),
    path("o/<str:signed>/", tracking_views.open_pixel, name="open_pixel"),
]
