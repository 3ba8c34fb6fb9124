"""HTTP: routing rules for smart dispatch (admins manage them; district dispatchers read)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.audit import service as audit
from backend.auth.principal import Principal
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.parts import ContextDep
from backend.routing import service
from schemas.stats import RoutingRuleIn, RoutingRuleOut

__all__ = ["RoutingController"]

READERS = frozenset({"admin", "district_dispatcher"})


class RuleList(msgspec.Struct, kw_only=True):
    items: list[RoutingRuleOut]


def _require(p: Principal, roles: frozenset[str]) -> None:
    if p.role not in roles:
        raise ProblemError(403, "forbidden", "your role may not manage routing rules")


class RoutingController(Controller):
    path = "/routing/rules"
    tags = ["routing"]

    @get("")
    async def list_rules(
        self,
        db: DB,
        principal: Caller,
        category: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> RuleList:
        _require(principal, READERS)
        return RuleList(items=await service.list_rules(db, category))

    @post("", status_code=201)
    async def create_rule(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[RoutingRuleIn],
    ) -> RoutingRuleOut:
        _require(principal, frozenset({"admin"}))
        out = await service.create_rule(db, data, actor_id=principal.id, now=ctx.now())
        audit.record(
            db,
            action="routing_rule.create",
            actor_id=principal.id,
            target_type="routing_rule",
            target_id=out.id,
            data=msgspec.to_builtins(data),
        )
        return out

    @delete("/{rule_id:str}", status_code=204)
    async def delete_rule(self, db: DB, principal: Caller, rule_id: FromPath[str]) -> None:
        _require(principal, frozenset({"admin"}))
        if not await service.delete_rule(db, rule_id):
            raise ProblemError(404, "not_found", "routing rule not found")
        audit.record(
            db,
            action="routing_rule.delete",
            actor_id=principal.id,
            target_type="routing_rule",
            target_id=rule_id,
        )
