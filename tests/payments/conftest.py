"""The shop's fixtures, for tests of the event store that need an order."""

from tests.shop.conftest import foosfoot  # noqa: F401 - a pytest fixture
