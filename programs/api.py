"""JSON API of the programs: public catalogue, free signup, and an enrollment by its token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import error_responses
from core.email_addresses import validate_email_address
from core.errors import NotFound
from programs import enrollments, selectors, signups
from programs.models import Enrollment, Program
from programs.validators import validate_send_hour, validate_time_zone


class ProgramSerializer(serializers.ModelSerializer):
    lessons = serializers.SerializerMethodField()
    send_weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))

    class Meta:
        model = Program
        fields = ["slug", "name", "description", "lessons", "send_hour", "send_weekdays"]

    def get_lessons(self, program: Program) -> int:
        count = getattr(program, "lesson_count", None)  # annotated by the list; 0 is an answer, not a miss
        return program.steps.count() if count is None else count


class SignupInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254, validators=[validate_email_address])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Berlin. Absent: the site's.",
    )
    send_hour = serializers.IntegerField(
        required=False, validators=[validate_send_hour], help_text="Local hour, 0–23. Absent: the program's."
    )


SignupOutput = inline_serializer(
    "SignupAccepted",
    {"status": serializers.CharField(), "message": serializers.CharField()},
)


class EnrollmentSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    lessons_sent = serializers.SerializerMethodField()
    lessons_total = serializers.SerializerMethodField()
    next_lesson_at = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "program",
            "program_name",
            "status",
            "timezone",
            "send_hour",
            "lessons_sent",
            "lessons_total",
            "next_lesson_at",
        ]

    def _progress(self, enrollment: Enrollment) -> tuple[int, int]:
        if not hasattr(enrollment, "_progress"):
            enrollment._progress = selectors.progress(enrollment)
        return enrollment._progress

    def get_lessons_sent(self, enrollment: Enrollment) -> int:
        return self._progress(enrollment)[0]

    def get_lessons_total(self, enrollment: Enrollment) -> int:
        return self._progress(enrollment)[1]

    def get_next_lesson_at(self, enrollment: Enrollment) -> str | None:
        upcoming = selectors.next_delivery(enrollment)
        if upcoming is None or enrollment.status != Enrollment.Status.ACTIVE:
            return None
        return upcoming.due_at.isoformat()


@extend_schema(tags=["programs"], summary="Public programs anyone can join free")
class ProgramListApi(generics.ListAPIView):
    serializer_class = ProgramSerializer

    def get_queryset(self):
        return Program.objects.public().with_lesson_count().order_by("name")


class ProgramSignupApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(
        tags=["programs"],
        summary="Join a free program (double opt-in)",
        description=(
            "Records a pending signup and emails a confirmation link. No lesson is sent until the link is "
            "confirmed. Asking again re-sends the link at most three times a day, ten minutes apart. The answer "
            "is the same whether or not the address was already enrolled, or a link was sent or held back."
        ),
        request=SignupInput,
        responses={202: SignupOutput, **error_responses(400, 404, 415, 429)},
    )
    def post(self, request, slug):
        program = Program.objects.public().filter(slug=slug).first()
        if program is None:
            raise NotFound("There is no free program with this name.")
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        signups.signup(
            program=program,
            email=data.validated_data["email"],
            name=data.validated_data.get("name", ""),
            timezone_name=data.validated_data.get("timezone"),
            send_hour=data.validated_data.get("send_hour"),
        )
        return Response(
            {"status": "pending_confirmation", "message": "Check your inbox for a link to confirm."},
            status=status.HTTP_202_ACCEPTED,
        )


def _enrollment_or_404(token: str) -> Enrollment:
    enrollment = selectors.get_enrollment(token)
    if enrollment is None:
        raise NotFound("No enrollment has this token.")
    return enrollment


class EnrollmentApi(APIView):
    @extend_schema(
        tags=["programs"],
        summary="An enrollment, by its token",
        responses={200: EnrollmentSerializer, **error_responses(404)},
    )
    def get(self, request, token):
        return Response(EnrollmentSerializer(_enrollment_or_404(token)).data)


class _EnrollmentActionApi(APIView):
    action_name = ""

    def act(self, enrollment: Enrollment) -> Enrollment:
        raise NotImplementedError

    def post(self, request, token):
        enrollment = _enrollment_or_404(token)
        enrollment = self.act(enrollment)
        return Response(EnrollmentSerializer(enrollment).data)


_ACTION_RESPONSES = {200: EnrollmentSerializer, **error_responses(404, 409)}


class EnrollmentPauseApi(_EnrollmentActionApi):
    @extend_schema(tags=["programs"], summary="Pause the lessons", request=None, responses=_ACTION_RESPONSES)
    def post(self, request, token):
        return super().post(request, token)

    def act(self, enrollment):
        return enrollments.pause(enrollment=enrollment)


class EnrollmentResumeApi(_EnrollmentActionApi):
    @extend_schema(
        tags=["programs"],
        summary="Resume with the next unsent lesson (the rest shift by the pause)",
        request=None,
        responses=_ACTION_RESPONSES,
    )
    def post(self, request, token):
        return super().post(request, token)

    def act(self, enrollment):
        return enrollments.resume(enrollment=enrollment)


class EnrollmentUnsubscribeApi(_EnrollmentActionApi):
    @extend_schema(
        tags=["programs"],
        summary="Unsubscribe (409 `already_unsubscribed` the second time)",
        request=None,
        responses=_ACTION_RESPONSES,
    )
    def post(self, request, token):
        return super().post(request, token)

    def act(self, enrollment):
        return enrollments.unsubscribe(enrollment=enrollment)
