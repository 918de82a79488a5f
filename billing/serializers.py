"""DRF serializers of the membership API: inputs are validated here, answers are shaped here."""

from rest_framework import serializers

from billing.models import Plan, Subscription
from core.email_addresses import validate_email_address


class PlanSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    trial_days = serializers.IntegerField(help_text="Free days before the first charge, for first-time members.")

    class Meta:
        model = Plan
        fields = ["slug", "name", "description", "price", "currency", "interval", "trial_days"]


class JoinInputSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        validators=[validate_email_address],
        error_messages={"invalid": "Enter a valid email address, like name@example.com."},
    )


class SubscriptionRefSerializer(serializers.ModelSerializer):
    token = serializers.CharField(help_text="The only key to `/api/subscriptions/<token>/`: keep it secret.")
    status = serializers.ChoiceField(choices=Subscription.Status.choices)

    class Meta:
        model = Subscription
        fields = ["token", "status"]


class JoinOutputSerializer(serializers.Serializer):
    checkout_url = serializers.CharField(help_text="Send the person here: Stripe's hosted Checkout.")
    checkout_session_id = serializers.CharField()
    subscription = SubscriptionRefSerializer()


class GrantedProgramSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SubscriptionSerializer(serializers.Serializer):
    token = serializers.CharField()
    plan = PlanSerializer()
    status = serializers.ChoiceField(
        choices=Subscription.Status.choices, help_text="Stripe's own; access while trialing, active or past_due."
    )
    current_period_end = serializers.DateTimeField(allow_null=True, help_text="When the period paid for ends.")
    cancel_at_period_end = serializers.BooleanField()
    programs = GrantedProgramSerializer(many=True, help_text="The premium programs this membership grants.")


class PortalOutputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Stripe's customer portal for this membership: send the person there.")
