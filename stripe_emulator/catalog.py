"""The catalog: products, prices (with lookup keys; archived by `active=false`) and shipping rates."""

from __future__ import annotations

from typing import Any

from .catalog_objects import price_object, product_object, shipping_rate_object
from .catalog_params import (
    price_create_options,
    price_update_options,
    product_create_options,
    product_update_options,
)
from .events import Events
from .objects import clone, new_id
from .params import StripeError, bool_param, check_known, merge_metadata, no_such, string_param
from .session_options import shipping_rate_data_param
from .store import page_of

PRICE_LIST_PARAMS = frozenset(
    {
        "active",
        "created",
        "currency",
        "ending_before",
        "expand",
        "limit",
        "lookup_keys",
        "product",
        "recurring",
        "starting_after",
        "type",
    }
)


class Catalog(Events):
    """POST/GET /v1/products, /v1/prices and /v1/shipping_rates."""

    # ------------------------------------------------------------------ products

    def create_product(self, params: dict[str, Any]) -> dict[str, Any]:
        options = product_create_options(params)
        with self._lock:
            product_id = options.pop("id") or new_id("prod_", 14)
            if product_id in self.products:
                raise StripeError(f"Product already exists: {product_id}", code="resource_already_exists", param="id")
            product = product_object(product_id, options.pop("name"), created=self.now(), **options)
            self.products[product_id] = product
            self.emit("product.created", clone(product))
            return clone(product)

    def update_product(self, product_id: str, params: dict[str, Any]) -> dict[str, Any]:
        changes = product_update_options(params)
        with self._lock:
            product = self.products.get(product_id)
            if product is None:
                raise no_such("product", product_id)
            if changes.get("default_price") and changes["default_price"] not in self.prices:
                raise no_such("price", changes["default_price"], status=400, param="default_price")
            previous = {key: clone(product[key]) for key in changes}
            if "metadata" in changes:
                changes["metadata"] = merge_metadata(product["metadata"], changes["metadata"])
            product.update(changes, updated=self.now())
            self.emit("product.updated", clone(product), previous_attributes=previous)
            return clone(product)

    def delete_product(self, product_id: str) -> dict[str, Any]:
        with self._lock:
            product = self.products.get(product_id)
            if product is None:
                raise no_such("product", product_id)
            if any(p["product"] == product_id and p["active"] for p in self.prices.values()):
                raise StripeError("This product cannot be deleted because it has one or more user-created prices.")
            del self.products[product_id]
            self.emit("product.deleted", clone(product))
            return {"id": product_id, "object": "product", "deleted": True}

    def list_products(self, filters: dict[str, Any]) -> dict[str, Any]:
        active = bool_param(filters, "active")
        ids = filters.get("ids")
        with self._lock:
            found = [
                p
                for p in self.products.values()
                if (active is None or p["active"] == active) and (not isinstance(ids, list) or p["id"] in ids)
            ]
            return page_of(found, filters, "/v1/products")

    # -------------------------------------------------------------------- prices

    def create_price(self, params: dict[str, Any]) -> dict[str, Any]:
        options = price_create_options(params)
        with self._lock:
            product_id = options["product"]
            if product_id is not None and product_id not in self.products:
                raise no_such("product", product_id, status=400, param="product")
            if options["lookup_key"]:
                self._take_lookup_key(options["lookup_key"], options["transfer_lookup_key"], None)
            if options["product_data"]:
                data = options["product_data"]
                product = product_object(new_id("prod_", 14), data["name"], created=self.now())
                self.products[product["id"]] = product
                product_id = product["id"]
                self.emit("product.created", clone(product))
            price = price_object(
                new_id("price_"),
                currency=options["currency"],
                unit_amount=options["unit_amount"],
                product=product_id,
                created=self.now(),
                recurring=options["recurring"],
                active=options["active"],
                lookup_key=options["lookup_key"],
                nickname=options["nickname"],
                metadata=options["metadata"],
                tax_behavior=options["tax_behavior"],
            )
            self.prices[price["id"]] = price
            self.emit("price.created", clone(price))
            return clone(price)

    def _take_lookup_key(self, key: str, transfer: bool, new_owner: str | None) -> None:
        for other in self.prices.values():
            if other["lookup_key"] == key and other["id"] != new_owner:
                if not transfer:
                    raise StripeError(
                        f"A price ({other['id']}) already uses the lookup key `{key}`; pass transfer_lookup_key=true "
                        "to move it.",
                        param="lookup_key",
                    )
                other["lookup_key"] = None
                self.emit("price.updated", clone(other), previous_attributes={"lookup_key": key})

    def update_price(self, price_id: str, params: dict[str, Any]) -> dict[str, Any]:
        options = price_update_options(params)
        changes = options["changes"]
        with self._lock:
            price = self.prices.get(price_id)
            if price is None:
                raise no_such("price", price_id)
            if changes.get("lookup_key"):
                self._take_lookup_key(changes["lookup_key"], options["transfer_lookup_key"], price_id)
            previous = {key: clone(price[key]) for key in changes}
            if "metadata" in changes:
                changes["metadata"] = merge_metadata(price["metadata"], changes["metadata"])
            price.update(changes)
            self.emit("price.updated", clone(price), previous_attributes=previous)
            return clone(price)

    def list_prices(self, filters: dict[str, Any]) -> dict[str, Any]:
        check_known(filters, PRICE_LIST_PARAMS)
        active = bool_param(filters, "active")
        keys = filters.get("lookup_keys")
        keys = [keys] if isinstance(keys, str) else keys
        recurring = filters.get("recurring") if isinstance(filters.get("recurring"), dict) else {}
        with self._lock:
            found = [
                p
                for p in self.prices.values()
                if (active is None or p["active"] == active)
                and (not keys or p["lookup_key"] in keys)
                and filters.get("product") in (None, p["product"])
                and filters.get("type") in (None, p["type"])
                and filters.get("currency") in (None, p["currency"])
                and recurring.get("interval") in (None, (p["recurring"] or {}).get("interval"))
            ]
            return page_of(found, filters, "/v1/prices")

    # ------------------------------------------------------------ shipping rates

    def create_shipping_rate(self, params: dict[str, Any]) -> dict[str, Any]:
        fixed = params.get("fixed_amount") if isinstance(params.get("fixed_amount"), dict) else {}
        currency = (string_param(fixed, "currency", param="fixed_amount[currency]") or "").lower()
        rest = {k: v for k, v in params.items() if k != "expand"}
        data = shipping_rate_data_param(rest, currency, "shipping_rate_data")
        with self._lock:
            rate = shipping_rate_object(new_id("shr_"), data, created=self.now())
            self.shipping_rates[rate["id"]] = rate
            return clone(rate)

    def list_shipping_rates(self, filters: dict[str, Any]) -> dict[str, Any]:
        active = bool_param(filters, "active")
        with self._lock:
            found = [r for r in self.shipping_rates.values() if active is None or r["active"] == active]
            return page_of(found, filters, "/v1/shipping_rates")
