"""The per-program report in the admin (issue 15): a page with tables and charts, and its CSV.

Staff who may view programs may read it; the figures come from programs.report, the charts from core.charts.
"""

import csv
import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.charts import bar_chart, grouped_bar_chart
from programs import report
from programs.models import Program

PERIODS = [("all", "All time"), ("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days")]
CHARTED = ["opened", "clicked", "unsubscribed", "bounced"]  # delivered is ~100 % and would flatten the rest


class ReportFilterForm(forms.Form):
    """The report's filters from the query string; dates, when given, win over the period."""

    period = forms.ChoiceField(label="Sent in", choices=PERIODS, required=False)
    date_from = forms.DateField(label="or from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    origin = forms.ChoiceField(
        label="Origin",
        required=False,
        choices=[
            ("", "Every origin"),
            ("bought", "Bought"),
            ("signup", "Free signup"),
            ("member", "Membership"),
            ("staff", "Staff"),
        ],
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("date_from"), cleaned.get("date_to")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned

    def to_filters(self, *, now: dt.datetime) -> report.ReportFilters:
        """Dates are whole days in the site's time zone; the end date is included."""
        data = self.cleaned_data
        origin = report.ORIGINS.get(data.get("origin") or "")
        if data.get("date_from") or data.get("date_to"):
            return report.ReportFilters(
                since=_start_of(data.get("date_from")), until=_start_of(_day_after(data.get("date_to"))), origin=origin
            )
        period = data.get("period") or "all"
        since = None if period == "all" else now - dt.timedelta(days=int(period))
        return report.ReportFilters(since=since, origin=origin)


def _day_after(day: dt.date | None) -> dt.date | None:
    return None if day is None or day == dt.date.max else day + dt.timedelta(days=1)


def _start_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


class ProgramReportAdmin:
    """Mixed into ProgramAdmin: the report's URLs, and a link to it on each program's row."""

    def get_urls(self):
        return [
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="programs_program_report"),
            path(
                "<int:pk>/report.csv",
                self.admin_site.admin_view(self.report_csv_view),
                name="programs_program_report_csv",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Report")
    def report_link(self, program: Program):
        return format_html(
            '<a href="{}">Lesson figures</a>', reverse("admin:programs_program_report", args=[program.pk])
        )

    def _program_for(self, request, pk) -> Program:
        program = get_object_or_404(Program, pk=pk)
        if not self.has_view_permission(request, program):
            raise PermissionDenied
        return program

    def report_view(self, request, pk):
        program = self._program_for(request, pk)
        form = ReportFilterForm(request.GET)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Report: {program}",
            "program": program,
            "opts": Program._meta,
            "form": form,
        }
        if not form.is_valid():
            return TemplateResponse(request, "admin/programs/program/report.html", context, status=400)
        filters = form.to_filters(now=timezone.now())
        rows = report.lesson_rows(program, filters)
        funnel = report.completion_funnel(program, filters, rows)
        context |= {
            "rows": rows,
            "headings": [label for _, label, _ in report.ENGAGEMENT],
            "totals": report.totals(rows),
            "funnel": funnel,
            "lesson_chart": _lesson_chart(rows),
            "funnel_chart": bar_chart(
                [(stage.label, stage.count) for stage in funnel], title="Completion: people at each stage"
            ),
            "csv_url": f"{reverse('admin:programs_program_report_csv', args=[program.pk])}?{request.GET.urlencode()}",
        }
        return TemplateResponse(request, "admin/programs/program/report.html", context)

    def report_csv_view(self, request, pk):
        program = self._program_for(request, pk)
        form = ReportFilterForm(request.GET)
        if not form.is_valid():
            problems = "; ".join(message for messages in form.errors.values() for message in messages)
            return HttpResponse(
                f"The report's filters are not valid: {problems}\n", status=400, content_type="text/plain"
            )
        rows = report.lesson_rows(program, form.to_filters(now=timezone.now()))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{program.slug}-lessons.csv"'
        write_lesson_csv(response, rows)
        return response


def _lesson_chart(rows: list[report.LessonRow]):
    labels = {name: label for name, label, _ in report.ENGAGEMENT}
    series = [(f"{labels[name]} %", [report.rate(row.counts[name], row.sent) or 0 for row in rows]) for name in CHARTED]
    return grouped_bar_chart(
        [f"L{row.lesson}" for row in rows], series, title="Each lesson: share of the lessons sent", unit="%"
    )


def write_lesson_csv(out, rows: list[report.LessonRow]) -> None:
    writer = csv.writer(out)
    header = ["lesson", "subject", "sent"]
    for _, label, _ in report.ENGAGEMENT:
        header += [label.lower(), f"{label.lower()} %"]
    writer.writerow(header)
    for row in rows:
        line = [row.lesson, _csv_text(row.subject), row.sent]
        for _, count, share in row.figures():
            line += [count, "" if share is None else share]
        writer.writerow(line)


def _csv_text(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
