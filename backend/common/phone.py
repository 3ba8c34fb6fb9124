"""Phone numbers are personal data: shown masked unless the reader has a duty to see them."""

from __future__ import annotations

__all__ = ["mask_phone"]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)
