"""Links from each create to the reads and actions on what it created
(backend/common/openapi_links): what a client generator and the fuzzer's stateful phase
follow to reach past 404s."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
async def doc(client: Any) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _links(doc: dict[str, Any], path: str, status: str = "201") -> dict[str, Any]:
    return doc["paths"][path]["post"]["responses"][status].get("links", {})  # type: ignore[no-any-return]


def test_creates_link_to_reads_and_actions_on_the_created_thing(doc: dict[str, Any]) -> None:
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    events = {
        link["operationId"]: link["parameters"] for link in _links(doc, "/api/v1/events").values()
    }
    read = doc["paths"]["/api/v1/events/{event_id}"]["get"]["operationId"]
    act = doc["paths"]["/api/v1/events/{event_id}/actions"]["post"]["operationId"]
    assert events[read] == {"event_id": "$response.body#/id"}
    assert events[act] == {"event_id": "$response.body#/id"}
    # A message's own number comes from its "seq"; the room comes from the request's path.
    acks = _links(doc, "/api/v1/rooms/{room_id}/messages")
    ack = doc["paths"]["/api/v1/rooms/{room_id}/messages/{seq}/ack"]["post"]["operationId"]
    assert {"seq": "$response.body#/seq", "room_id": "$request.path.room_id"} in [
        link["parameters"] for link in acks.values() if link["operationId"] == ack
    ]
    # Every link names an operation that exists, with exactly its path parameters.
    by_id = {op["operationId"]: path for path, item in doc["paths"].items() for op in item.values()}
    for path, item in doc["paths"].items():
        for op in item.values():
            for response in op.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    assert link["operationId"] in ids
                    target = by_id[link["operationId"]]
                    wanted = {p.strip("{}") for p in target.split("/") if p.startswith("{")}
                    assert set(link["parameters"]) == wanted, (path, target)


def test_no_link_guesses_an_id_from_another_collection(doc: dict[str, Any]) -> None:
    # A room's id is not a member's user id: no link from POST /rooms/{id}/members.
    assert _links(doc, "/api/v1/rooms/{room_id}/members", "200") == {}
