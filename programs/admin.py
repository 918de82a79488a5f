from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join

from programs import dispatch, enrollments, lessons, selectors
from programs.admin_deliveries import DeliveryAdmin
from programs.admin_engagement import DeliveryTimesMixin
from programs.admin_report import ProgramReportAdmin
from programs.forms import send_hour_field
from programs.models import WEEKDAYS, Delivery, Enrollment, Program, Step

admin.site.register(Delivery, DeliveryAdmin)


def _help(model, field: str) -> str:
    return model._meta.get_field(field).help_text


class ProgramForm(forms.ModelForm):
    send_hour = send_hour_field(label="Send at (local hour)", help_text=_help(Program, "send_hour"))
    send_weekdays = forms.TypedMultipleChoiceField(
        label="Send days",
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days lessons may go out.",
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "description",
            "is_active",
            "is_public",
            "send_hour",
            "send_weekdays",
            "granted_by",
            "plans",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("granted_by") and cleaned.get("plans"):
            # A buyer who is also a member would be enrolled twice (once per reason) and get every lesson twice.
            raise forms.ValidationError(
                "A program comes either with products or with membership plans, not both: a buyer who is also "
                "a member would get every lesson twice. Make a separate program for members."
            )
        return cleaned


_URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def _send_time(hour: int) -> str:
    return selectors.send_time_label(hour)


@admin.register(Program)
class ProgramAdmin(ProgramReportAdmin, admin.ModelAdmin):
    """A program's settings, and its lessons as a short table: each lesson is edited on its own page (issue 11,
    item 12: 28 inline editors made a 13,600-pixel page)."""

    form = ProgramForm
    list_display = ["name", "slug", "is_active", "is_public", "send_time", "lesson_count", "report_link"]
    list_filter = ["is_active", "is_public"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["granted_by", "plans"]
    readonly_fields = ["lessons_table"]

    class Media:
        css = {"all": ["programs/admin/programs-admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_lesson_count()

    @admin.display(description="Lessons", ordering="lesson_count")
    def lesson_count(self, program: Program) -> int:
        return program.lesson_count

    @admin.display(description="Send at", ordering="send_hour")
    def send_time(self, program: Program) -> str:
        return _send_time(program.send_hour)

    @admin.display(description="Lessons")
    def lessons_table(self, program: Program):
        if not program.pk:
            return "Save the program first, then add its lessons."
        steps = list(program.steps.order_by("day").values_list("pk", "day", "subject"))
        add_url = reverse("admin:programs_step_add")
        next_day = steps[-1][1] + 1 if steps else 0
        rows = format_html_join(
            "",
            '<tr><td class="program-lessons__day">{}</td><td>{}</td><td class="program-lessons__actions">'
            '<a href="{}">Edit</a> · <a href="{}">Preview</a></td></tr>',
            (
                (
                    day + 1,
                    subject,
                    reverse("admin:programs_step_change", args=[pk]),
                    reverse("admin:programs_step_preview", args=[pk]),
                )
                for pk, day, subject in steps
            ),
        )
        return format_html(
            '<table class="program-lessons"><thead><tr><th scope="col">Lesson</th><th scope="col">Subject</th>'
            '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{}</tbody></table>'
            '<p><a class="addlink" href="{}?program={}&amp;day={}">Add a lesson</a></p>',
            rows,
            add_url,
            program.pk,
            next_day,
        )


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    """One lesson: its place in the program ("order"), its text, a preview. Saving returns to its program."""

    formfield_overrides = _URL_HTTPS
    list_display = ["subject", "program", "day"]
    list_filter = ["program"]
    list_select_related = ["program"]
    search_fields = ["subject", "body"]
    ordering = ["program", "day"]
    readonly_fields = ["preview_link"]
    fields = ["program", "day", "subject", "body", "video_url", "preview_link"]
    actions = ["send_test_to_me"]

    @admin.display(description="Preview")
    def preview_link(self, step: Step):
        if not step.pk:
            return "Save first to preview."
        return format_html(
            '<a href="{}">Preview and send a test</a>', reverse("admin:programs_step_preview", args=[step.pk])
        )

    def _back_to_program(self, request, step: Step):
        if "_continue" in request.POST or "_addanother" in request.POST or "_saveasnew" in request.POST:
            return None
        return redirect("admin:programs_program_change", step.program_id)

    def response_post_save_add(self, request, obj):
        return self._back_to_program(request, obj) or super().response_post_save_add(request, obj)

    def response_post_save_change(self, request, obj):
        return self._back_to_program(request, obj) or super().response_post_save_change(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="programs_step_preview"),
            path(
                "<int:pk>/preview/html/",
                self.admin_site.admin_view(self.preview_html_view),
                name="programs_step_preview_html",
            ),
            path(
                "<int:pk>/send-test/", self.admin_site.admin_view(self.send_test_view), name="programs_step_send_test"
            ),
            *super().get_urls(),
        ]

    def _context(self, step: Step) -> dict:
        placeholder = lessons.absolute("/")
        origin = lessons.sample_origin(step.program)
        return lessons.step_context(step, manage=placeholder, unsubscribe=placeholder, origin=origin, name="Alex")

    def _step_for(self, request, pk, *, to_act: bool = False) -> Step:
        """The step, for staff who may see it (403 otherwise); `to_act` (a test send) also needs change."""
        step = get_object_or_404(Step.objects.select_related("program"), pk=pk)
        allowed = self.has_change_permission(request, step) if to_act else self.has_view_permission(request, step)
        if not allowed:
            raise PermissionDenied
        return step

    def preview_view(self, request, pk):
        step = self._step_for(request, pk)
        text = render_to_string("programs/email/lesson.txt", {"SITE_URL": lessons.absolute(""), **self._context(step)})
        return TemplateResponse(
            request,
            "admin/programs/step/preview.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Preview: {step.subject}",
                "step": step,
                "text_body": text,
                "html_url": reverse("admin:programs_step_preview_html", args=[step.pk]),
                "send_test_url": reverse("admin:programs_step_send_test", args=[step.pk]),
                "can_send_test": self.has_change_permission(request, step),
                "opts": Step._meta,
            },
        )

    def preview_html_view(self, request, pk):
        step = self._step_for(request, pk)
        html = render_to_string("programs/email/lesson.html", {"SITE_URL": lessons.absolute(""), **self._context(step)})
        response = HttpResponse(html)
        # The email's own inline styles, shown as a mail client would; the body is sanitised (nh3).
        response._csp_update = {"style-src": ["'unsafe-inline'"]}
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_replace = {"frame-ancestors": ["'self'"]}
        return response

    def send_test_view(self, request, pk):
        step = self._step_for(request, pk, to_act=True)
        if request.method == "POST":
            self._send_tests(request, [step])
        return redirect("admin:programs_step_preview", pk=step.pk)

    def _send_tests(self, request, steps) -> None:
        if not request.user.email:
            self.message_user(request, "Your staff account has no email address to send a test to.", messages.ERROR)
            return
        for step in steps:
            lessons.send_step_test(step, to=request.user.email)
        self.message_user(request, f"Sent {len(steps)} test lesson(s) to {request.user.email}.", messages.SUCCESS)

    @admin.action(description="Send a test of the selected lessons to me", permissions=["change"])
    def send_test_to_me(self, request, queryset):
        self._send_tests(request, list(queryset.select_related("program")))


class DeliveryInline(DeliveryTimesMixin, admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    ordering = ["due_at"]
    fields = ["step", "due_local", "status", "attempts", "sent_local", "engagement", "message_id", "last_error"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row shows its step (str: "program · day n") and is titled str(delivery) ("day n: subject → email").
        return super().get_queryset(request).select_related("step__program", "enrollment")

    def has_add_permission(self, request, obj=None):
        return False


class StaffEnrollmentForm(forms.ModelForm):
    """Staff enroll someone by hand; the schedule starts at the next send hour.

    The time zone is checked by the model field's validator (a ModelForm runs it).
    """

    send_hour = send_hour_field(label="Send at (local hour)", required=False, empty_value=None)

    class Meta:
        model = Enrollment
        fields = ["program", "email", "name", "timezone", "send_hour"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["send_hour"].choices = [("", "The program's hour"), *self.fields["send_hour"].choices]


class EnrollmentChangeForm(forms.ModelForm):
    """The time zone and the send hour are checked by the model fields' validators (a ModelForm runs them)."""

    send_hour = send_hour_field(label="Send at (local hour)", help_text=_help(Enrollment, "send_hour"))

    class Meta:
        model = Enrollment
        fields = ["name", "timezone", "send_hour"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    form = EnrollmentChangeForm
    list_display = ["email", "program", "status", "origin", "send_time", "created_at"]
    list_filter = ["program", "status", "origin", ("welcomed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name"]
    date_hierarchy = "created_at"
    list_select_related = ["program"]
    inlines = [DeliveryInline]
    actions = ["pause_selected", "resume_selected", "cancel_selected", "resend_failed"]
    readonly_fields = [
        "program",
        "email",
        "origin",
        "order",
        "status",
        "token",
        "schedule_start",
        "paused_at",
        "confirmed_at",
        "welcomed_at",
        "created_at",
        "manage_link",
    ]
    fields = ["name", "timezone", "send_hour", *readonly_fields]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StaffEnrollmentForm
            kwargs["fields"] = StaffEnrollmentForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return StaffEnrollmentForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            Enrollment.objects.filter(pk=obj.pk).update(name=obj.name)
            if {"send_hour", "timezone"} & set(form.changed_data):
                try:
                    enrollments.change_send_time(enrollment=obj, send_hour=obj.send_hour, timezone_name=obj.timezone)
                except enrollments.EnrollmentStateError as refusal:
                    self.message_user(request, refusal.message, messages.ERROR)
            return
        enrollment = enrollments.enroll(
            program=form.cleaned_data["program"],
            email=form.cleaned_data["email"],
            name=form.cleaned_data.get("name", ""),
            origin=Enrollment.Origin.STAFF,
            timezone_name=form.cleaned_data["timezone"],
            send_hour=form.cleaned_data.get("send_hour"),
        )
        obj.pk = enrollment.pk
        obj.refresh_from_db()

    @admin.display(description="Send at", ordering="send_hour")
    def send_time(self, enrollment: Enrollment) -> str:
        return f"{_send_time(enrollment.send_hour)} {enrollment.timezone}"

    @admin.display(description="Lessons start on")
    def schedule_start(self, enrollment: Enrollment) -> str:
        if enrollment.anchor_date is None:
            return "Not yet (waiting for the confirmation)"
        return f"{dateformat.format(enrollment.anchor_date, 'D j M Y')}, with lesson {enrollment.anchor_day + 1}"

    @admin.display(description="Customer's page")
    def manage_link(self, enrollment: Enrollment):
        return format_html('<a href="{}">{}</a>', enrollment.get_absolute_url(), "Open the manage page")

    def _each(self, request, queryset, change, done: str) -> None:
        changed, refused = 0, 0
        for enrollment in queryset:
            try:
                change(enrollment=enrollment)
                changed += 1
            except enrollments.EnrollmentStateError:
                refused += 1
        self.message_user(request, f"{done}: {changed}; left as they were: {refused}.")

    @admin.action(description="Pause the selected enrollments", permissions=["change"])
    def pause_selected(self, request, queryset):
        self._each(request, queryset, enrollments.pause, "Paused")

    @admin.action(description="Resume the selected enrollments", permissions=["change"])
    def resume_selected(self, request, queryset):
        self._each(request, queryset, enrollments.resume, "Resumed")

    @admin.action(description="Cancel the selected enrollments", permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._each(request, queryset, enrollments.cancel, "Cancelled")

    @admin.action(description="Resend their failed lessons", permissions=["change"])
    def resend_failed(self, request, queryset):
        count = dispatch.resend_failed_deliveries(Delivery.objects.filter(enrollment__in=queryset))
        self.message_user(request, f"{count} failed lesson(s) will be sent on the next pass.")
