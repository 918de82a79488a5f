"""Coupons and promotion codes: the endpoints, and redeeming a code at checkout.

A code is checked when it is applied (at session creation or on the pay page) and again when the
session is paid, since it may have expired or run out meanwhile. Redemption happens under the
store lock, so `max_redemptions` holds however many payers try at once.
"""

from __future__ import annotations

from typing import Any

from .catalog_objects import coupon_object, promotion_code_object
from .events import Events
from .objects import clone, format_amount, new_id
from .params import StripeError, bool_param, merge_metadata, no_such, string_param
from .promotion_params import (
    coupon_create_options,
    coupon_update_options,
    promotion_code_create_options,
    promotion_code_update_options,
)
from .store import page_of


class Promotions(Events):
    """POST/GET/DELETE /v1/coupons, POST/GET /v1/promotion_codes, and redemption."""

    # ------------------------------------------------------------------ coupons

    def create_coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        options = coupon_create_options(params, self.now())
        with self._lock:
            coupon_id = options["id"] or new_id("", 8)
            if coupon_id in self.coupons:
                raise StripeError("Coupon already exists.", code="resource_already_exists", param="id")
            coupon = coupon_object(coupon_id, options, created=self.now())
            self.coupons[coupon_id] = coupon
            self.emit("coupon.created", clone(coupon))
            return clone(coupon)

    def retrieve_coupon(self, coupon_id: str) -> dict[str, Any]:
        with self._lock:
            return clone(self._coupon(coupon_id))

    def _coupon(self, coupon_id: str, param: str | None = "id") -> dict[str, Any]:
        coupon = self.coupons.get(coupon_id)
        if coupon is None:
            raise no_such("coupon", coupon_id, param=param)
        coupon["valid"] = _coupon_valid(coupon, self.now())
        return coupon

    def update_coupon(self, coupon_id: str, params: dict[str, Any]) -> dict[str, Any]:
        changes = coupon_update_options(params)
        with self._lock:
            coupon = self._coupon(coupon_id)
            previous = {key: clone(coupon[key]) for key in changes}
            if "metadata" in changes:
                changes["metadata"] = merge_metadata(coupon["metadata"], changes["metadata"])
            coupon.update(changes)
            self.emit("coupon.updated", clone(coupon), previous_attributes=previous)
            return clone(coupon)

    def delete_coupon(self, coupon_id: str) -> dict[str, Any]:
        """Coupons cannot be deactivated, only deleted; codes of a deleted coupon no longer redeem."""
        with self._lock:
            coupon = self._coupon(coupon_id)
            del self.coupons[coupon_id]
            self.emit("coupon.deleted", clone(coupon))
            return {"id": coupon_id, "object": "coupon", "deleted": True}

    def list_coupons(self, filters: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            coupons = [self._coupon(coupon_id) for coupon_id in self.coupons]
            return page_of(coupons, filters, "/v1/coupons")

    # ---------------------------------------------------------- promotion codes

    def create_promotion_code(self, params: dict[str, Any]) -> dict[str, Any]:
        options = promotion_code_create_options(params, self.now())
        with self._lock:
            coupon = self._coupon(options["coupon"], param="promotion[coupon]")
            if not coupon["valid"]:
                raise StripeError(f"Coupon {coupon['id']} is no longer valid.", param="promotion[coupon]")
            if coupon["redeem_by"] and options["expires_at"] and options["expires_at"] > coupon["redeem_by"]:
                raise StripeError("expires_at cannot be after the coupon's redeem_by.", param="expires_at")
            if options["customer"] and options["customer"] not in self.customers:
                raise no_such("customer", options["customer"], param="customer", status=400)
            options["code"] = options["code"] or new_id("", 8).upper()
            if options["active"]:
                self._check_code_free(options["code"])
            promo = promotion_code_object(new_id("promo_"), options, created=self.now())
            self.promotion_codes[promo["id"]] = promo
            self.emit("promotion_code.created", clone(promo))
            return clone(promo)

    def _check_code_free(self, code: str, but: str | None = None) -> None:
        for promo in self.promotion_codes.values():
            if promo["active"] and promo["id"] != but and promo["code"].lower() == code.lower():
                raise StripeError(
                    f"An active promotion code with `code: {code}` already exists.",
                    code="resource_already_exists",
                    param="code",
                )

    def retrieve_promotion_code(self, promo_id: str) -> dict[str, Any]:
        with self._lock:
            if promo_id not in self.promotion_codes:
                raise no_such("promotion_code", promo_id)
            return clone(self.promotion_codes[promo_id])

    def update_promotion_code(self, promo_id: str, params: dict[str, Any]) -> dict[str, Any]:
        changes = promotion_code_update_options(params)
        with self._lock:
            promo = self.promotion_codes.get(promo_id)
            if promo is None:
                raise no_such("promotion_code", promo_id)
            if changes.get("active") and not promo["active"]:
                self._check_code_free(promo["code"], but=promo_id)
            previous = {key: clone(promo[key]) for key in changes}
            if "metadata" in changes:
                changes["metadata"] = merge_metadata(promo["metadata"] or {}, changes["metadata"])
            promo.update(changes)
            self.emit("promotion_code.updated", clone(promo), previous_attributes=previous)
            return clone(promo)

    def list_promotion_codes(self, filters: dict[str, Any]) -> dict[str, Any]:
        active = bool_param(filters, "active")
        code = string_param(filters, "code")
        with self._lock:
            found = [
                promo
                for promo in self.promotion_codes.values()
                if (active is None or promo["active"] == active)
                and (code is None or promo["code"].lower() == code.lower())
                and filters.get("coupon") in (None, promo["promotion"]["coupon"])
                and filters.get("customer") in (None, promo["customer"])
            ]
            return page_of(found, filters, "/v1/promotion_codes")

    # --------------------------------------------------------------- redemption

    def find_promotion_code(self, code: str) -> dict[str, Any]:
        """The active promotion code a payer typed (case-insensitive); refused as Checkout would."""
        with self._lock:
            for promo in self.promotion_codes.values():
                if promo["active"] and promo["code"].lower() == code.strip().lower():
                    return promo
        raise StripeError("This code is invalid.", code="promotion_code_invalid", param="promotion_code")

    def check_redeemable(
        self,
        promo: dict[str, Any] | None,
        coupon_id: str,
        *,
        currency: str,
        subtotal: int,
        email: str | None = None,
        customer: str | None = None,
    ) -> dict[str, Any]:
        """The coupon a discount would apply, if it can be redeemed now; StripeError (`param` promotion_code) if not."""
        now = self.now()
        coupon = self.coupons.get(coupon_id)
        if coupon is None or not _coupon_valid(coupon, now):
            raise _refusal("This code is invalid." if coupon is None else "This code is no longer valid.")
        if coupon["amount_off"] is not None and coupon["currency"] != currency:
            raise _refusal("This code is not valid for this currency.")
        if promo is None:
            return coupon
        if not promo["active"]:
            raise _refusal("This code is invalid.")
        if promo["expires_at"] is not None and promo["expires_at"] <= now:
            raise _refusal("This code has expired.")
        if promo["max_redemptions"] is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
            raise _refusal("This code has reached its maximum number of redemptions.")
        if promo["customer"] is not None and promo["customer"] != customer:
            raise _refusal("This code is invalid.")
        restrictions = promo["restrictions"]
        minimum = restrictions["minimum_amount"]
        if minimum is not None and restrictions["minimum_amount_currency"] == currency and subtotal < minimum:
            raise _refusal(f"This code needs an order of at least {format_amount(minimum, currency)}.")
        if restrictions["first_time_transaction"] and self._has_paid_before(email, customer):
            raise _refusal("This code is only for first-time customers.")
        return coupon

    def _has_paid_before(self, email: str | None, customer: str | None) -> bool:
        email = (email or "").lower()
        for session in self.sessions.values():
            if session["status"] != "complete":
                continue
            paid_email = ((session.get("customer_details") or {}).get("email") or "").lower()
            if (email and paid_email == email) or (customer and session.get("customer") == customer):
                return True
        return any(i["customer"] == customer and i["amount_paid"] > 0 for i in self.invoices.values() if customer)

    def redeem(self, promo: dict[str, Any] | None, coupon: dict[str, Any]) -> None:
        """Count one redemption (the caller holds the lock and has just run `check_redeemable`)."""
        if promo is not None:
            promo["times_redeemed"] += 1
        coupon["times_redeemed"] += 1
        coupon["valid"] = _coupon_valid(coupon, self.now())


def _coupon_valid(coupon: dict[str, Any], now: int) -> bool:
    if coupon["redeem_by"] is not None and coupon["redeem_by"] <= now:
        return False
    return coupon["max_redemptions"] is None or coupon["times_redeemed"] < coupon["max_redemptions"]


def _refusal(message: str) -> StripeError:
    return StripeError(message, code="promotion_code_invalid", param="promotion_code")
