"""HTTP: the org tree, grids, locate, categories."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter

from backend.common.pagination import Cursor, Limit, decode_cursor, encode_cursor
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.orgs import service
from backend.parts import ContextDep
from schemas.orgs import CategoryOut, GridOut, LocateOut, OrgTreeNode

__all__ = ["OrgsController"]


class GridPage(msgspec.Struct, kw_only=True):
    items: list[GridOut]
    next_cursor: str | None


class CategoryList(msgspec.Struct, kw_only=True):
    items: list[CategoryOut]


class OrgsController(Controller):
    path = ""
    tags = ["reference"]

    @get("/orgs")
    async def orgs(self, db: DB, principal: Caller) -> list[OrgTreeNode]:
        return await service.org_tree(db)

    @get("/grids")
    async def grids(
        self,
        db: DB,
        principal: Caller,
        # Ids are UUID strings; anything else (a NUL byte breaks PostgreSQL) is bad input.
        street_id: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> GridPage:
        after = decode_cursor(cursor, ("code",))["code"] if cursor else None
        if after is not None and not isinstance(after, str):
            # A decodable cursor this server never issued: comparing a code with a number
            # or a list fails in the database (500 on PostgreSQL).
            raise ProblemError(
                400,
                "validation_failed",
                "cursor is not valid",
                errors=[
                    {
                        "field": "cursor",
                        "message": "not a cursor this server issued",
                        "source": "query",
                    }
                ],
            )
        items = await service.list_grids(db, street_id=street_id, limit=limit + 1, after_code=after)
        more = len(items) > limit
        items = items[:limit]
        return GridPage(
            items=items, next_cursor=encode_cursor({"code": items[-1].code}) if more else None
        )

    @get("/locate")
    async def locate(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lng: Annotated[float, QueryParameter(ge=-180, le=180)],
    ) -> LocateOut:
        holder = ctx.grid_index
        return service.located_out(await service.locate(db, holder, lat, lng))

    @get("/categories")
    async def categories(self, db: DB, principal: Caller) -> CategoryList:
        return CategoryList(items=await service.list_categories(db))
