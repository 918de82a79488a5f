import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory


@pytest.fixture
def product(db):
    from shop.models import Product

    return Product.objects.create(name="FoosFoot", slug="foosfoot", sku="FF-1", price="49.00", stock=10)


@pytest.fixture
def live_article(db):
    return ArticleFactory(title="A live article", slug="live-article")


@pytest.fixture
def draft_article(db):
    return ArticleFactory(title="A draft article", slug="draft-article", status="draft", published_at=None)


@pytest.fixture
def scheduled_article(db):
    return ArticleFactory(
        title="A scheduled article", slug="scheduled-article", published_at=timezone.now() + timedelta(days=2)
    )


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("editor", "editor@example.com", "pw-editor-123", is_staff=True)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def json_ld_blocks(html: str) -> list[dict]:
    return [json.loads(block) for block in JSON_LD.findall(html)]
