"""What one domain hangs on the events domain's hooks; the order is ``backend.composition``'s."""

from __future__ import annotations

from dataclasses import dataclass

from backend.events.service import ActionHook, CreatedHook

__all__ = ["ActionHook", "CreatedHook", "DomainHooks"]


@dataclass(frozen=True, slots=True)
class DomainHooks:
    """A domain's hook on a new event and on an event action (any may be absent);
    ``before_write`` runs on an action before its changes are flushed (see EventHooks)."""

    created: CreatedHook | None = None
    action: ActionHook | None = None
    before_write: ActionHook | None = None
