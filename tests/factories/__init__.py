"""factory_boy factories, one module per app, all importable from here."""

from tests.factories.content import *  # noqa: F403
from tests.factories.programs import *  # noqa: F403
from tests.factories.shop import *  # noqa: F403
