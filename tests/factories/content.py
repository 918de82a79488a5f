"""factory_boy factories for the content app."""
