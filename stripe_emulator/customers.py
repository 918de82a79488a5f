"""Customers, and the state of each customer's card (the emulator's switch for failing renewals)."""

from __future__ import annotations

from typing import Any

from .catalog_objects import customer_object
from .catalog_params import CUSTOMER_CREATE_PARAMS, CUSTOMER_UPDATE_PARAMS, customer_fields
from .events import Events
from .objects import clone, new_id
from .params import check_known, merge_metadata, no_such, string_param
from .store import page_of

CUSTOMER_LIST_PARAMS = frozenset(
    {"created", "email", "ending_before", "expand", "limit", "starting_after", "test_clock"}
)


class Customers(Events):
    """POST/GET/DELETE /v1/customers; `set_card_failing` for tests and the portal page."""

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        fields = customer_fields(params, CUSTOMER_CREATE_PARAMS)
        fields["metadata"] = merge_metadata({}, fields.get("metadata") or {})
        with self._lock:
            return clone(self._new_customer(**fields))

    def _new_customer(self, **fields: Any) -> dict[str, Any]:
        """Make a customer and send customer.created (inside the caller's batch, if any)."""
        customer = customer_object(new_id("cus_", 14), created=self.now(), **fields)
        self.customers[customer["id"]] = customer
        self.emit("customer.created", clone(customer))
        return customer

    def retrieve_customer(self, customer_id: str) -> dict[str, Any]:
        with self._lock:
            customer = self.customers.get(customer_id)
            if customer is None:
                raise no_such("customer", customer_id)
            return clone(customer)

    def _live_customer(self, customer_id: str, *, param: str | None = "id", status: int = 404) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None or customer.get("deleted"):
            raise no_such("customer", customer_id, param=param, status=status)
        return customer

    def update_customer(self, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        changes = customer_fields(params, CUSTOMER_UPDATE_PARAMS)
        with self._lock:
            customer = self._live_customer(customer_id)
            if "metadata" in changes:
                changes["metadata"] = merge_metadata(customer["metadata"], changes["metadata"])
            self._change_customer(customer, changes)
            return clone(customer)

    def _change_customer(self, customer: dict[str, Any], changes: dict[str, Any]) -> None:
        previous = {key: clone(customer[key]) for key in changes if customer.get(key) != changes[key]}
        customer.update(changes)
        if previous:
            self.emit("customer.updated", clone(customer), previous_attributes=previous)

    def delete_customer(self, customer_id: str) -> dict[str, Any]:
        """Deleting a customer cancels its subscriptions at once (customer.subscription.deleted each)."""
        with self.batch():
            customer = self._live_customer(customer_id)
            for subscription in list(self.subscriptions.values()):
                if subscription["customer"] == customer_id and subscription["status"] not in ("canceled",):
                    self._end_subscription(subscription, reason="cancellation_requested")
            self.customers[customer_id] = {"id": customer_id, "object": "customer", "deleted": True}
            self.emit("customer.deleted", clone(customer))
            return {"id": customer_id, "object": "customer", "deleted": True}

    def list_customers(self, filters: dict[str, Any]) -> dict[str, Any]:
        check_known(filters, CUSTOMER_LIST_PARAMS)
        email = string_param(filters, "email")
        with self._lock:
            found = [
                c for c in self.customers.values() if not c.get("deleted") and (email is None or c["email"] == email)
            ]
            return page_of(found, filters, "/v1/customers")

    # ------------------------------------------------------------------- cards

    def card_of(self, customer_id: str) -> dict[str, Any]:
        """The customer's saved card as the emulator tracks it: `{"payment_method", "failing"}`."""
        with self._lock:
            return self._cards.setdefault(customer_id, {"payment_method": new_id("pm_"), "failing": False})

    def set_card_failing(self, customer_id: str, failing: bool = True) -> None:
        """From now on, charges to this customer's card decline (or succeed again when `failing` is false).

        Fixing a card (as the portal's "Update card" does) saves a new payment method and sends
        customer.updated with the new `invoice_settings.default_payment_method`.
        """
        with self.batch():
            customer = self._live_customer(customer_id, param="customer")
            card = self.card_of(customer_id)
            was_failing, card["failing"] = card["failing"], failing
            if was_failing and not failing:
                card["payment_method"] = new_id("pm_")
                settings = dict(customer["invoice_settings"], default_payment_method=card["payment_method"])
                self._change_customer(customer, {"invoice_settings": settings})
                for subscription in self.subscriptions.values():
                    if subscription["customer"] == customer_id:
                        subscription["default_payment_method"] = card["payment_method"]
