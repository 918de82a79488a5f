"""A staff edit of a product's stock in the admin, kept apart from the sales made while the form was open.

Checkout takes units, and releases and returns give them back, by UPDATE under the product's row lock while
staff may have the change form open for minutes. Saving the number typed would undo those moves (a lost
update: units sold twice, or a received delivery counted wrong). So the form carries the stock it was opened
with (`stock_seen`, hidden), and a save applies staff's change (typed − seen) to the stock as it is then,
under the row lock, never below zero. Only the fields the form changed are written: the low-stock mark,
`reserved` and a stock left alone keep whatever the shop wrote meanwhile.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.db import transaction

from shop.models import Product

PRODUCT_FIELDS = frozenset(field.name for field in Product._meta.concrete_fields)
STALE_FORM = "This page is out of date (it does not say what stock it showed): reload it and make your change again."


def units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


@dataclass(frozen=True)
class StockEdit:
    """Staff's change of stock seen against the stock on the row now."""

    seen: int  # on the form when staff opened it
    typed: int  # on the form when staff saved it
    now: int  # on the product row at the save

    @property
    def change(self) -> int:
        return self.typed - self.seen

    @property
    def result(self) -> int:
        return self.now + self.change

    @property
    def moved(self) -> int:
        """What the shop did to the stock while the form was open: negative when units sold."""
        return self.now - self.seen

    def what_moved(self) -> str:
        if self.moved < 0:
            return f"{units(-self.moved)} sold while you edited"
        return f"stock went up by {self.moved} while you edited (orders released or restocked)"

    def notice(self) -> str:
        """For staff after the save, when the stock moved under their form."""
        if self.change:
            return f"{self.what_moved()}; your {self.change:+d} was applied to that: stock is now {self.result}."
        return f"{self.what_moved()}; you left stock as it was: it is now {self.result}."

    def refusal(self) -> str:
        """Why the change cannot be saved: it would take more units than are left."""
        meanwhile = f" ({self.what_moved()})" if self.moved else ""
        if self.now == 0:
            return f"None left now{meanwhile}: stock cannot be lowered."
        return (
            f"Only {units(self.now)} left now{meanwhile}: you can lower stock by at most {self.now} "
            f"(to {self.seen - self.now} or more on this form)."
        )


class ProductGone(Exception):
    """The product was deleted while staff had its change form open: nothing to save it to."""


class StockBelowZero(ValueError):
    def __init__(self, edit: StockEdit):
        super().__init__(edit.refusal())
        self.edit = edit


def stock_now(*, product_id: int, lock: bool) -> int | None:
    """The product's stock on its row; `lock` holds the row until the caller's transaction ends."""
    products = Product.objects.select_for_update() if lock else Product.objects.all()
    return products.filter(pk=product_id).values_list("stock", flat=True).first()


@transaction.atomic
def save_product_edit(*, product: Product, changed: Iterable[str], stock_seen: int | None) -> StockEdit | None:
    """Write only the fields staff changed (`changed`, form field names). A changed stock is applied as staff's
    change to the stock under the row lock now; StockBelowZero if that would take it below zero, ProductGone if
    the product was deleted meanwhile. The edit as
    seen against the stock now, or None for a form without `stock_seen` (the stock is then saved as typed)."""
    fields = [name for name in changed if name in PRODUCT_FIELDS]
    edit = None
    if stock_seen is not None:
        now = stock_now(product_id=product.pk, lock="stock" in fields)
        if now is None:
            raise ProductGone(product.pk)
        typed = product.stock if "stock" in fields else stock_seen
        edit = StockEdit(seen=stock_seen, typed=typed, now=now)
        if edit.result < 0:
            raise StockBelowZero(edit)
        product.stock = edit.result
    if fields:
        product.save(update_fields=fields)  # its post_save checks the low-stock mark (shop.alerts)
    return edit


class ProductAdminForm(forms.ModelForm):
    """The product's change form, with the stock it was opened with so that a save applies a change, not a
    number typed against an old stock."""

    stock_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Product
        fields = [  # what staff may edit; the admin's fieldsets narrow it
            *("name", "slug", "sku", "description", "is_active", "position", "price", "currency"),
            *("stock", "low_stock_threshold", "image_url", "image_alt", "tax_code"),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None or "stock" not in self.fields:
            return
        self.fields["stock_seen"].initial = self.instance.stock
        self.fields["stock"].help_text = (
            f"{self.fields['stock'].help_text} Sales while this page is open are kept: saving applies your change "
            f"(the number here minus {self.instance.stock}, what it showed) to the stock at that moment."
        )

    def get_initial_for_field(self, field, field_name):
        # Stock counts as changed only when staff changed it, not when the shop did since the page was opened
        # (and stock_seen, a record, never): the save and the change history (LogEntry) go by this.
        if field_name in ("stock", "stock_seen") and self.is_bound and self.instance.pk is not None:
            seen = self._posted_stock_seen()
            if seen is not None:
                return seen
        return super().get_initial_for_field(field, field_name)

    def _posted_stock_seen(self) -> int | None:
        try:
            return self.fields["stock_seen"].clean(self.data.get(self.add_prefix("stock_seen")))
        except forms.ValidationError:
            return None

    def clean(self):
        cleaned = super().clean()
        seen, typed = cleaned.get("stock_seen"), cleaned.get("stock")
        if self.instance.pk is None or "stock" not in self.fields:
            return cleaned
        if seen is None:  # said at the top of the page: a hidden field's own error would not show
            self.add_error(None, STALE_FORM)
            return cleaned
        if typed is None or "stock" not in self.changed_data:
            return cleaned
        # Locked until the admin's transaction ends (it runs the save in the same one): nothing moves in between.
        with transaction.atomic():
            now = stock_now(product_id=self.instance.pk, lock=True)
        edit = StockEdit(seen=seen, typed=typed, now=now if now is not None else seen)
        if edit.result < 0:
            self.add_error("stock", edit.refusal())
        return cleaned
