from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_home_page_is_served_in_korean_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "ko"


def test_redis_is_real(redis_client):
    redis_client.set("probe", "1")
    assert redis_client.get("probe") == b"1"
