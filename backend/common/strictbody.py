"""JSON request bodies decoded once, strictly, straight from the bytes into their type.

Litestar converts a ``data: JSONBody[T]`` body leniently (``"1"`` becomes a number,
``"true"`` a boolean); a field app that sends a string where the contract says a number has
a bug we want it to see, not a silent guess. A serialization plugin hands every JSON body
of a Struct (a list or a tagged union of them) to ``StrictJSON``, a DTO whose only job is
``decode_json(body, T)``: one strict decode, the hostile-input checks of
``backend.common.jsonbody``, and the same problem documents. The OpenAPI schema is the
one Litestar builds for ``T`` without a DTO, so the document does not change.
"""

from __future__ import annotations

from collections.abc import Collection, Generator
from typing import Any, ClassVar

import msgspec
from litestar.dto import AbstractDTO, DTOConfig
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Reference, Schema
from litestar.params import BodyKwarg
from litestar.plugins import SerializationPlugin
from litestar.typing import FieldDefinition

from backend.common.jsonbody import decode_json

__all__ = ["StrictBodyPlugin", "StrictJSON"]


class StrictJSON(AbstractDTO[Any]):
    """Decodes a JSON body into ``annotation`` (set per handler by the plugin)."""

    config: ClassVar[DTOConfig] = DTOConfig()
    annotation: ClassVar[Any] = Any
    refuse_nul: ClassVar[bool] = True

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()  # no transfer model: the body is decoded into the type itself

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None  # nothing to build: decode_bytes decodes into ``annotation`` directly

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        schema: Reference | Schema = schema_creator.for_field_definition(field_definition)
        return schema

    def decode_bytes(self, value: bytes) -> Any:
        return decode_json(value, self.annotation, refuse_nul=self.refuse_nul)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return msgspec.convert(value, self.annotation, strict=True)

    def data_to_encodable_type(self, data: Any | Collection[Any]) -> Any:
        return data


def _is_json_body(field_definition: FieldDefinition) -> bool:
    kwarg = field_definition.kwarg_definition
    if kwarg is None:
        return True
    return isinstance(kwarg, BodyKwarg) and kwarg.media_type == RequestEncodingType.JSON


def _is_struct(field_definition: FieldDefinition) -> bool:
    if field_definition.is_subclass_of(msgspec.Struct):
        return True
    # A list of Structs (roster import) or a tagged union of them (event actions).
    return bool(field_definition.origin is list or field_definition.is_union) and all(
        inner.is_subclass_of(msgspec.Struct) for inner in field_definition.inner_types
    )


class StrictBodyPlugin(SerializationPlugin):
    """Routes every handler's JSON ``data`` of a Struct type through ``StrictJSON``."""

    def supports_type(self, field_definition: FieldDefinition) -> bool:
        # Only the request body (the parameter named ``data``); answers stay Litestar's.
        return (
            field_definition.name == "data"
            and _is_json_body(field_definition)
            and _is_struct(field_definition)
        )

    def create_dto_for_type(self, field_definition: FieldDefinition) -> type[AbstractDTO[Any]]:
        # ``raw`` keeps the Annotated metadata (msgspec.Meta length bounds on a list body);
        # msgspec ignores Litestar's own Body marker beside it.
        name = f"StrictJSON[{field_definition.annotation!r}]"
        # A type whose text is an opaque credential (schemas.auth) takes a NUL as a wrong
        # credential, answered 401 by its handler, not as a malformed body.
        refuse_nul = not getattr(field_definition.annotation, "nul_is_a_wrong_credential", False)
        attrs = {"annotation": field_definition.raw, "refuse_nul": refuse_nul}
        return type(name, (StrictJSON,), attrs)
