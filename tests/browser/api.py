"""The other people in a browser test, over HTTP: what the street center and the
department do while the page under test is watched."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from PIL import Image

from tests.browser.conftest import PASSWORD

__all__ = ["Api"]


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)
        self.tokens: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def headers(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = self.client.post("/auth/login", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=self.headers(user))
        r.raise_for_status()
        return r.json()

    def act(self, user: str, event_id: str, action: str, **body: Any) -> dict[str, Any]:
        r = self.client.post(
            f"/events/{event_id}/actions",
            json={"action": action, **body},
            headers={**self.headers(user), "Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 200, (user, action, r.text)
        return r.json()

    def upload(self, user: str, seed: int) -> str:
        image = Image.new("RGB", (640, 480), (seed * 37 % 256, seed * 91 % 256, 120))
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=85)
        r = self.client.post(
            "/media",
            files={"file": (f"p{seed}.jpg", buf.getvalue(), "image/jpeg")},
            headers=self.headers(user),
        )
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]

    def org_id(self, code: str) -> str:
        def walk(nodes: list[dict[str, Any]]) -> str | None:
            for n in nodes:
                if n["code"] == code:
                    return n["id"]
                if found := walk(n["children"]):
                    return found
            return None

        found = walk(self.get("district01", "/orgs"))
        assert found is not None, code
        return found

    def events_matching(self, user: str, text: str) -> list[dict[str, Any]]:
        return self.get(user, "/events", q=text, limit=200)["items"]
