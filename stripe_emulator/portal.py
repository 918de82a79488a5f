"""The customer portal: configurations, sessions, and what the hosted portal page does.

The page (portal_page.py) offers, per the configuration's features: cancel at period end (or at
once, for `mode=immediately`), resume (withdraw a scheduled cancellation), switch plan among the
configured products' prices, and update the card; plus the emulator's test switch "card declines
from now on". Each action sends what the same change through the API sends
(customer.subscription.updated / .deleted, invoice events of a switch that bills now, customer.updated).
"""

from __future__ import annotations

from typing import Any

from .billing_objects import portal_configuration_object, portal_session_object
from .billing_params import portal_configuration_options, portal_session_options
from .events import Events
from .objects import clone, new_id
from .params import StripeError, merge_metadata, no_such
from .store import page_of

DEFAULT_FEATURES = {
    "features": {
        "subscription_cancel": {"enabled": "true", "mode": "at_period_end"},
        "payment_method_update": {"enabled": "true"},
        "invoice_history": {"enabled": "true"},
    }
}
PORTAL_ACTIONS = ("cancel", "resume", "switch", "card_fail", "card_fix")


class Portal(Events):
    """POST/GET /v1/billing_portal/configurations and POST /v1/billing_portal/sessions."""

    def create_portal_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        options = portal_configuration_options(params, create=True)
        with self._lock:
            self._check_portal_prices(options["features"])
            options["is_default"] = False  # the default is the account's own (made on first use)
            config = portal_configuration_object(new_id("bpc_"), options, created=self.now())
            self.portal_configurations[config["id"]] = config
            self.emit("billing_portal.configuration.created", clone(config))
            return clone(config)

    def _check_portal_prices(self, features: dict[str, Any]) -> None:
        for index, product in enumerate(features["subscription_update"]["products"]):
            param = f"features[subscription_update][products][{index}]"
            if product["product"] not in self.products:
                raise no_such("product", str(product["product"]), status=400, param=f"{param}[product]")
            for price_id in product["prices"]:
                price = self.prices.get(price_id)
                if price is None or price["product"] != product["product"] or not price["recurring"]:
                    raise StripeError(
                        f"{price_id} is not a recurring price of {product['product']}.", param=f"{param}[prices]"
                    )

    def update_portal_configuration(self, config_id: str, params: dict[str, Any]) -> dict[str, Any]:
        options = portal_configuration_options(params, create=False)
        with self._lock:
            config = self.portal_configurations.get(config_id)
            if config is None:
                raise no_such("billing_portal.configuration", config_id)
            if "features" in options:
                self._check_portal_prices(options["features"])
            if "metadata" in options:
                options["metadata"] = merge_metadata(config["metadata"] or {}, params["metadata"])
            config.update(options, updated=self.now())
            self.emit("billing_portal.configuration.updated", clone(config))
            return clone(config)

    def list_portal_configurations(self, filters: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return page_of(list(self.portal_configurations.values()), filters, "/v1/billing_portal/configurations")

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        options = portal_session_options(params)
        with self._lock:
            self._live_customer(options["customer"], param="customer", status=400)
            config = self._portal_configuration(options["configuration"])
            return_url = options["return_url"] or config["default_return_url"]
            session_id = new_id("bps_")
            session = portal_session_object(
                session_id,
                customer=options["customer"],
                configuration=config["id"],
                return_url=return_url,
                url=f"{self.page_base_url}/portal/{session_id}",
                created=self.now(),
            )
            self.portal_sessions[session_id] = session
            return clone(session)

    def _portal_configuration(self, config_id: str | None) -> dict[str, Any]:
        """The named configuration, or the default one (made on first use, as the Dashboard's settings)."""
        if config_id is not None:
            config = self.portal_configurations.get(config_id)
            if config is None or not config["active"]:
                raise no_such("billing_portal.configuration", config_id, status=400, param="configuration")
            return config
        for config in self.portal_configurations.values():
            if config["is_default"]:
                return config
        options = portal_configuration_options(clone(DEFAULT_FEATURES), create=True)
        options["is_default"] = True
        config = portal_configuration_object(new_id("bpc_"), options, created=self.now())
        self.portal_configurations[config["id"]] = config
        return config

    # --------------------------------------------------------------- the page

    def portal_view(self, session_id: str) -> dict[str, Any]:
        """What the portal page shows: the session, its configuration, the customer's live
        subscriptions, the prices it may switch to, and the card's state."""
        with self._lock:
            session = self.portal_sessions.get(session_id)
            if session is None:
                raise no_such("billing_portal.session", session_id)
            config = self.portal_configurations[session["configuration"]]
            customer = session["customer"]
            subscriptions = [
                s for s in self.subscriptions.values() if s["customer"] == customer and s["status"] != "canceled"
            ]
            offered = [
                self.prices[p]
                for product in config["features"]["subscription_update"]["products"]
                for p in product["prices"]
                if p in self.prices and self.prices[p]["active"]
            ]
            names = {p["product"]: (self.products.get(p["product"]) or {}).get("name") for p in offered}
            for subscription in subscriptions:
                for item in subscription["items"]["data"]:
                    names[item["price"]["product"]] = (self.products.get(item["price"]["product"]) or {}).get("name")
            return clone(
                {
                    "session": session,
                    "configuration": config,
                    "customer": self.customers.get(customer),
                    "subscriptions": subscriptions,
                    "prices": offered,
                    "product_names": names,
                    "card": self.card_of(customer),
                }
            )

    def portal_action(
        self, session_id: str, action: str, *, subscription_id: str | None = None, price_id: str | None = None
    ) -> None:
        """One of PORTAL_ACTIONS, as the portal page's buttons submit it."""
        with self.batch():
            session = self.portal_sessions.get(session_id)
            if session is None:
                raise no_such("billing_portal.session", session_id)
            features = self.portal_configurations[session["configuration"]]["features"]
            if action in ("card_fail", "card_fix"):
                if action == "card_fix" and not features["payment_method_update"]["enabled"]:
                    raise StripeError("This portal does not let customers update their card.")
                self.set_card_failing(session["customer"], action == "card_fail")
                return
            subscription = self.subscriptions.get(subscription_id or "")
            if subscription is None or subscription["customer"] != session["customer"]:
                raise StripeError("No such subscription for this customer.", status=404)
            self._portal_subscription_action(subscription, features, action, price_id)

    def _portal_subscription_action(
        self, subscription: dict[str, Any], features: dict[str, Any], action: str, price_id: str | None
    ) -> None:
        cancel, update = features["subscription_cancel"], features["subscription_update"]
        if action == "cancel" and cancel["enabled"]:
            if cancel["mode"] == "immediately":
                self._end_subscription(subscription, reason="cancellation_requested")
            else:
                self._apply_update(subscription, {"cancel_at_period_end": True})
        elif action == "resume" and subscription["cancel_at_period_end"]:
            self._apply_update(subscription, {"cancel_at_period_end": False})
        elif action == "switch" and update["enabled"]:
            offered = [p for product in update["products"] for p in product["prices"]]
            if price_id not in offered:
                raise StripeError("Choose one of the plans offered.", param="price")
            item = subscription["items"]["data"][0]
            change = {"id": item["id"], "price": price_id, "quantity": None}
            self._apply_update(subscription, {"items": [change], "proration_behavior": update["proration_behavior"]})
        else:
            raise StripeError("This portal does not offer that action.")
