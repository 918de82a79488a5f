"""The account's JSON API: asking for a sign-in link (the README's contract). The rest of the account is pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.links import request_sign_in_link
from core.api import error_responses
from core.email_addresses import validate_email_address
from core.ratelimits import client_address

SENT = (
    "If this address can sign in, a link is on its way to it. It works once, for a short while. "
    "Nothing arrived? Check the spam folder, or ask again in a few minutes."
)


class SignInInputSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        validators=[validate_email_address],
        error_messages={"invalid": "Enter a valid email address, like name@example.com."},
    )


class SignInAcceptedSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="The same sentence for every address.")


class SignInLinkApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Ask for a sign-in link by email",
        description=(
            "Mails a single-use link to `/account/sign-in/<token>/` (valid ACCOUNT_SIGN_IN_LINK_MINUTES, 15 by "
            "default). The answer is `202` with the same body whatever the address: known or not, and whether a "
            "link went out or a limit held it back (per address and per client address), so it tells nobody "
            "whether an address has orders here."
        ),
        request=SignInInputSerializer,
        responses={202: SignInAcceptedSerializer, **error_responses(400, 415)},
    )
    def post(self, request):
        data = SignInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request_sign_in_link(email=data.validated_data["email"], client=client_address(request))
        return Response({"message": SENT}, status=status.HTTP_202_ACCEPTED)
