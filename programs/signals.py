"""What programs announces: an enrollment that starts receiving lessons.

`enrollment_started` is sent once per enrollment, after the transaction that started it has
committed, with `sender=Enrollment` and `enrollment_id=<pk>`: a paid order's enrollment, a
confirmed free signup, a staff enrollment (and, with Billing, a membership's). The welcome
email listens (`programs.receivers`).
"""

from django.dispatch import Signal

enrollment_started = Signal()
