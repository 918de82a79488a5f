"""Demo data for `manage.py seed_demo`; running it twice changes nothing."""


def seed_demo() -> list[str]:
    """Create the demo rows that are missing; return a line per thing created."""
    return []
