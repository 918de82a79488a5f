"""What the shop announces to the rest of the project. `shop` imports no other app.

Both signals are sent once per order, after the transaction that made the change
has committed (`transaction.on_commit`), with `sender=Order` and `order=<Order>`.
"""

from django.dispatch import Signal

order_paid = Signal()  # the order reached `paid` for the first time
order_refunded = Signal()  # the order reached `refunded` (fully refunded)
