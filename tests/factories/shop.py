"""factory_boy factories for the shop app."""
