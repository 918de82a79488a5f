"""The membership JSON API (the README's contract): plans, joining, a subscription by its token, the portal.

Views stay thin: validate with a serializer, call one service or selector, answer.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from billing.join import start_membership
from billing.limits import client_hash
from billing.models import Plan, Subscription
from billing.portal import open_portal
from billing.selectors import granted_programs, plans_on_offer, subscription_for_token
from billing.serializers import (
    JoinInputSerializer,
    JoinOutputSerializer,
    PlanSerializer,
    PortalOutputSerializer,
    SubscriptionSerializer,
)
from core.api import error_responses
from core.errors import NotFound

STRIPE_DOWN = OpenApiResponse(description="Stripe could not be reached; nothing was charged.")


def _subscription_or_404(token: str) -> Subscription:
    subscription = subscription_for_token(token)
    if subscription is None:
        raise NotFound("No membership has this token.")
    return subscription


@extend_schema(tags=["memberships"], summary="Membership plans on offer", responses={200: PlanSerializer(many=True)})
class PlanListApi(generics.ListAPIView):
    serializer_class = PlanSerializer
    queryset = Plan.objects.on_offer()
    pagination_class = None  # a handful of plans


class JoinApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        tags=["memberships"],
        summary="Join a plan",
        description=(
            "Opens a membership (`incomplete` until Stripe confirms the first payment or trial) and a Stripe "
            "Checkout Session in subscription mode; send the person to `checkout_url`. The subscription's `token` "
            "is the key to `/api/subscriptions/<token>/`. Limited per client address and per email "
            "(`too_many_joins`, 429 with Retry-After); an email that has a membership already is refused "
            "(`already_member`, 409)."
        ),
        request=JoinInputSerializer,
        responses={201: JoinOutputSerializer, **error_responses(400, 404, 409, 415, 429), 503: STRIPE_DOWN},
    )
    def post(self, request, slug: str):
        plan = plans_on_offer().filter(slug=slug).first()
        if plan is None:
            raise NotFound("No plan on offer has this name.")
        data = JoinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = start_membership(plan=plan, email=data.validated_data["email"], client=client_hash(request))
        body = {
            "checkout_url": result.checkout_url,
            "checkout_session_id": result.session_id,
            "subscription": result.subscription,
        }
        return Response(JoinOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(APIView):
    @extend_schema(
        tags=["memberships"],
        summary="A membership, by its token",
        description="Its state as Stripe last reported it; `programs` lists what it grants.",
        responses={200: SubscriptionSerializer, **error_responses(404)},
    )
    def get(self, request, token: str):
        subscription = _subscription_or_404(token)
        body = {
            "token": subscription.token,
            "plan": subscription.plan,
            "status": subscription.status,
            "current_period_end": subscription.current_period_end,
            "cancel_at_period_end": subscription.cancel_at_period_end,
            "programs": granted_programs(subscription),
        }
        return Response(SubscriptionSerializer(body).data)


class PortalApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        tags=["memberships"],
        summary="Open Stripe's customer portal",
        description="A portal session for this membership's customer: change card or plan, cancel, see invoices.",
        request=None,
        responses={201: PortalOutputSerializer, **error_responses(404, 409, 429), 503: STRIPE_DOWN},
    )
    def post(self, request, token: str):
        url = open_portal(subscription=_subscription_or_404(token))
        return Response(PortalOutputSerializer({"url": url}).data, status=status.HTTP_201_CREATED)
