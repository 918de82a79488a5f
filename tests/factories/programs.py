"""factory_boy factories for the programs app."""
