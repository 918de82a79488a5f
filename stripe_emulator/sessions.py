"""Checkout Sessions: create, retrieve, list, expire (by hand or by the sweep), recover an expired
one, and what the pay page changes on an open one (a promotion code, the consent box).
Paying is in checkout_pay.py.
"""

from __future__ import annotations

from typing import Any

from .catalog_objects import shipping_rate_object
from .events import Events
from .objects import clone, list_object, new_id
from .params import StripeError, list_limit, no_such
from .periods import days
from .pricing import totals
from .session_objects import session_object, set_totals
from .session_params import session_create_options
from .tax import NON_TAXABLE_CODE, Jurisdiction

RECOVERY_DAYS = 30


class CheckoutSessions(Events):
    """The Checkout Session endpoints and the open session's side of the hosted page."""

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/checkout/sessions with decoded form params; returns the new session."""
        with self._lock:
            options = session_create_options(params, self.now(), self.lookup)
            return clone(self._open_session(options))

    def _open_session(self, options: dict[str, Any], *, recovered_from: str | None = None) -> dict[str, Any]:
        session_id = new_id("cs_test_", 58)
        session = session_object(session_id, options, created=self.now(), url=f"{self.page_base_url}/pay/{session_id}")
        session["recovered_from"] = recovered_from
        rates = self._session_shipping(options["shipping_options"], options["currency"])
        discount = self._initial_discount(options["discount"], session, options["line_items"])
        for obj in options["created_objects"]:
            (self.prices if obj["object"] == "price" else self.products)[obj["id"]] = obj
        session["shipping_options"] = rates
        self.sessions[session_id] = session
        self.line_items[session_id] = options["line_items"]
        # kept aside: the options (for recovery and paying), what the page chose so far
        self._session_private[session_id] = {
            "options": options,
            "pi_metadata": options["pi_metadata"],
            "discount": discount,
            "shipping_rate": rates[0]["shipping_rate"] if rates else None,
            "consent_promotions": None,
        }
        self._reprice(session_id)
        return session

    def _session_shipping(self, choices: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
        """`shipping_options` of a session: existing rates checked, inline ones made (shr_...)."""
        options = []
        for index, choice in enumerate(choices):
            if "shipping_rate" in choice:
                rate = self.shipping_rates.get(choice["shipping_rate"] or "")
                if rate is None or not rate["active"]:
                    param = f"shipping_options[{index}][shipping_rate]"
                    raise no_such("shipping_rate", choice["shipping_rate"] or "", status=400, param=param)
                if rate["fixed_amount"]["currency"] != currency:
                    raise StripeError(
                        "The shipping rate's currency must match the session's.", param=f"shipping_options[{index}]"
                    )
            else:
                rate = shipping_rate_object(new_id("shr_"), choice["data"], created=self.now())
                self.shipping_rates[rate["id"]] = rate
            options.append({"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]})
        return options

    def _initial_discount(
        self, wanted: dict[str, str] | None, session: dict[str, Any], items: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The `discounts=[...]` of a new session, checked now (and again when it is paid)."""
        if wanted is None:
            return None
        promo = None
        if "promotion_code" in wanted:
            promo = self.promotion_codes.get(wanted["promotion_code"])
            if promo is None:
                raise no_such(
                    "promotion_code", wanted["promotion_code"], status=400, param="discounts[0][promotion_code]"
                )
            coupon_id = promo["promotion"]["coupon"]
        else:
            coupon_id = wanted["coupon"]
            if coupon_id not in self.coupons:
                raise no_such("coupon", coupon_id, status=400, param="discounts[0][coupon]")
        try:
            self.check_redeemable(
                promo,
                coupon_id,
                currency=session["currency"],
                subtotal=sum(item["amount_subtotal"] for item in items),
                email=session["customer_email"],
                customer=session["customer"],
            )
        except StripeError as error:
            raise StripeError(error.message, code=error.code, param="discounts") from None
        return {"coupon": coupon_id, "promotion_code": promo["id"] if promo else None}

    def _reprice(self, session_id: str, *, place: Jurisdiction | None = None) -> dict[str, Any]:
        """Recompute a session's amounts from its lines, chosen shipping rate, discount and (given an
        address) tax; in subscription mode with a trial, nothing is due now."""
        session = self.sessions[session_id]
        private = self._session_private[session_id]
        items = self.line_items[session_id]
        rate = self.shipping_rates.get(private["shipping_rate"] or "")
        discount = private["discount"]
        coupon = self.coupons.get(discount["coupon"]) if discount else None
        percentage = place.percentage if place is not None and session["automatic_tax"]["enabled"] else None
        computed = totals(
            [item["amount_subtotal"] for item in items],
            coupon=coupon,
            shipping=rate["fixed_amount"]["amount"] if rate else 0,
            shipping_taxable=bool(rate) and rate["tax_code"] != NON_TAXABLE_CODE,
            percentage=percentage,
        )
        set_totals(session, items, computed, shipping_rate=rate["id"] if rate else None, discount=discount)
        if session["mode"] == "subscription" and private["options"]["subscription_data"]["trial_end"]:
            session.update(amount_subtotal=0, amount_total=0)
            session["total_details"].update(amount_discount=0, amount_tax=0)
        return computed

    def retrieve_session(self, session_id: str) -> dict[str, Any]:
        """GET /v1/checkout/sessions/<id>; a session past its expiry is expired first (as Stripe's sweep would)."""
        with self.batch():
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if session["status"] == "open" and session["expires_at"] <= self.now():
                self._expire(session_id)
            return clone(session)

    def session_line_items_list(self, session_id: str, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET /v1/checkout/sessions/<id>/line_items, in the session's order (`limit`, `starting_after`)."""
        filters = filters or {}
        with self._lock:
            self.retrieve_session(session_id)
            listed = self._line_items_list(session_id)
        items, limit = listed["data"], list_limit(filters)
        ids = [item["id"] for item in items]
        if filters.get("starting_after") in ids:
            items = items[ids.index(filters["starting_after"]) + 1 :]
        return list_object(items[:limit], listed["url"], has_more=len(items) > limit)

    def list_sessions(self, filters: dict[str, Any]) -> dict[str, Any]:
        limit = list_limit(filters)
        with self._lock:
            found = [
                s
                for s in self.sessions.values()
                if all(
                    filters.get(key) in (None, s.get(key))
                    for key in ("payment_intent", "status", "client_reference_id", "customer", "subscription")
                )
            ]
            found.sort(key=lambda s: s["created"], reverse=True)
            return list_object(clone(found[:limit]), "/v1/checkout/sessions", has_more=len(found) > limit)

    # ------------------------------------------------------------------- expiry

    def expire_session(self, session_id: str, *, send_webhook: bool = True) -> dict[str, Any]:
        """Expire an open session now and send checkout.session.expired; returns the session."""
        with self.batch(send=send_webhook):
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if session["status"] != "open":
                raise StripeError(
                    f'Only Checkout Sessions with a status in ["open"] can be expired; this one is {session["status"]!r}.',
                    code="checkout_session_not_open",
                )
            return self._expire(session_id)

    def _expire(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session["status"] = "expired"
        session["url"] = None
        consent = self._session_private.get(session_id, {}).get("consent_promotions")
        if consent is not None:
            session["consent"] = {"promotions": consent, "terms_of_service": None}
        recovery = (session.get("after_expiration") or {}).get("recovery")
        if recovery and recovery["enabled"]:
            recovery["url"] = f"{self.page_base_url}/recover/{session_id}"
            recovery["expires_at"] = self.now() + days(RECOVERY_DAYS)
        snapshot = clone(session)
        self.emit("checkout.session.expired", snapshot)
        return snapshot

    def sweep_expired(self, *, within: float = 0, send_webhook: bool = True) -> list[str]:
        """Expire every open session whose `expires_at` is past, or `within` seconds from now
        (as if that much time had gone by); returns their ids. The background sweep runs this."""
        with self.batch(send=send_webhook):
            horizon = self.now() + within
            due = [sid for sid, s in self.sessions.items() if s["status"] == "open" and s["expires_at"] <= horizon]
            for session_id in due:
                self._expire(session_id)
        return due

    # ----------------------------------------------------------------- recovery

    def recover_session(self, session_id: str) -> dict[str, Any]:
        """What the recovery URL does: a new session with the expired one's line items, shipping options,
        customer and URLs (`recovered_from` naming it); the same one again while that is still open."""
        with self._lock:
            old = self.sessions.get(session_id)
            recovery = ((old or {}).get("after_expiration") or {}).get("recovery") or {}
            if old is None or not recovery.get("url"):
                raise StripeError("This checkout session cannot be recovered.", status=404, code="resource_missing")
            if recovery["expires_at"] <= self.now():
                raise StripeError("This recovery link has expired.", status=410)
            private = self._session_private[session_id]
            earlier = self.sessions.get(private.get("recovered_to") or "")
            if earlier is not None and earlier["status"] == "open":
                return clone(earlier)
            options = clone(private["options"])
            options.update(
                line_items=[dict(item, id=new_id("li_")) for item in clone(self.line_items[session_id])],
                shipping_options=[{"shipping_rate": o["shipping_rate"]} for o in old["shipping_options"]],
                created_objects=[],
                expires_at=self.now() + days(1),
                allow_promotion_codes=recovery["allow_promotion_codes"] or None,
                discount=None,
                after_expiration=None,
            )
            new = self._open_session(options, recovered_from=session_id)
            private["recovered_to"] = new["id"]
            return clone(new)

    # ------------------------------------------------------- the open session's page

    def page_state(self, session_id: str) -> dict[str, Any]:
        """What the pay page shows besides the session: the shipping rates, the one chosen, the code
        applied, the promotions box as last submitted, a subscription's trial end."""
        with self._lock:
            session = self.sessions[session_id]
            private = self._session_private[session_id]
            promo = self.promotion_codes.get((private["discount"] or {}).get("promotion_code") or "")
            return {
                "rates": [clone(self.shipping_rates[o["shipping_rate"]]) for o in session["shipping_options"]],
                "selected_rate": private["shipping_rate"],
                "code": promo["code"] if promo else "",
                "promotions": private["consent_promotions"] == "opt_in",
                "trial_end": private["options"]["subscription_data"]["trial_end"],
                "customer_email": (self.customers.get(session["customer"] or "") or {}).get("email"),
            }

    def record_consent(self, session_id: str, promotions: bool) -> None:
        """The pay page's promotions box, ticked or not, even if the payer leaves without paying;
        it becomes the session's `consent.promotions` when it completes or expires."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if (session.get("consent_collection") or {}).get("promotions") == "auto" and session["status"] == "open":
                self._session_private[session_id]["consent_promotions"] = "opt_in" if promotions else "opt_out"

    def apply_promotion_code(self, session_id: str, code: str, *, email: str | None = None) -> dict[str, Any]:
        """A code typed on the pay page (empty: remove the one applied); the session's totals follow."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None or session["status"] != "open":
                raise StripeError("This Checkout Session is no longer open.", code="checkout_session_not_open")
            private = self._session_private[session_id]
            private["discount"] = self._typed_discount(session, code, email=email)
            self._reprice(session_id)
            return clone(session)

    def _typed_discount(self, session: dict[str, Any], code: str, *, email: str | None) -> dict[str, Any] | None:
        if not session.get("allow_promotion_codes"):
            raise StripeError("This checkout does not accept promotion codes.", param="promotion_code")
        if not code.strip():
            return None
        promo = self.find_promotion_code(code)
        coupon = self.check_redeemable(
            promo,
            promo["promotion"]["coupon"],
            currency=session["currency"],
            subtotal=sum(item["amount_subtotal"] for item in self.line_items[session["id"]]),
            email=email or session["customer_email"],
            customer=session["customer"],
        )
        return {"coupon": coupon["id"], "promotion_code": promo["id"]}
