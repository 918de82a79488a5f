from django.urls import path

from billing import api, converters  # noqa: F401 - registers the <subscription_token:…> converter

urlpatterns = [
    path("plans/", api.PlanListApi.as_view(), name="api-plans"),
    path("plans/<slug:slug>/checkout/", api.JoinApi.as_view(), name="api-plan-checkout"),
    path("subscriptions/<subscription_token:token>/", api.SubscriptionDetailApi.as_view(), name="api-subscription"),
    path("subscriptions/<subscription_token:token>/portal/", api.PortalApi.as_view(), name="api-subscription-portal"),
]
