from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("membership/", views.membership, name="membership"),
    path("membership/success/", views.membership_success, name="membership_success"),
    path("account/billing/", views.account_billing, name="account_billing"),
]
