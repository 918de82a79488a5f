import secrets


def new_token() -> str:
    """256 bits from the OS's CSPRNG, URL-safe: an access token (orders, carts, enrollments), not an id.

    Migrations name it through each app's models module (`shop.models.new_token`, …), which import it."""
    return secrets.token_urlsafe(32)
