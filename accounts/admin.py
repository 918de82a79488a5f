"""Erasures in the admin: the log (read-only), and the erasure of an address for a request that came by mail,
behind its own permission (`accounts.erase_customer`). Sign-in links are not shown: they are keys."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.erasure import erase_customer
from accounts.forms import StaffErasureForm
from accounts.models import CustomerErasure
from core.errors import Refusal

ERASE_PERMISSION = "accounts.erase_customer"


@admin.register(CustomerErasure)
class CustomerErasureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "pseudonym", "note"]
    search_fields = ["pseudonym", "note", "email_hash"]
    readonly_fields = [
        "created_at",
        "requested_by",
        "note",
        "email_hash",
        "pseudonym",
        "summary",
        "stripe_customer_ids",
        "stripe_object_ids",
    ]

    def has_add_permission(self, request):
        return request.user.has_perm(ERASE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False  # the log is what happened

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add" is "erase an address": the form, then the erasure the customer's account runs."""
        if not request.user.has_perm(ERASE_PERMISSION):
            raise PermissionDenied
        form = StaffErasureForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                erasure = erase_customer(
                    email=form.cleaned_data["email"],
                    requested_by=f"staff:{request.user.get_username()}",
                    note=form.cleaned_data["note"],
                )
            except Refusal as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, f"Erased. The address is now {erasure.pseudonym}; a confirmation was sent.")
                return HttpResponseRedirect(reverse("admin:accounts_customererasure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Erase a customer's data",
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/customererasure/erase.html", context)
