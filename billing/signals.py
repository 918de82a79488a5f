"""What billing announces to the rest of the project (programs listens). `billing` imports no other app.

Both are sent with `sender=Subscription`, `email=<the member's lower-cased email>` and
`subscription=<Subscription>`, after the transaction that made the change has committed
(`transaction.on_commit`), through `send_robust` (a failing receiver is logged, never undoes the change),
and once per change of a member's access: `membership_started` when an email that had no subscription
giving access (trialing, active, past_due) gets one, `membership_ended` when its last one stops
(unpaid, canceled, incomplete_expired, paused). A member who rejoins later is announced again.
Past due keeps access: Stripe is still retrying the card.
"""

from django.dispatch import Signal

membership_started = Signal()
membership_ended = Signal()
