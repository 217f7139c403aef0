"""Check office SOP tables against the loaded SOPs (missing SOPs, unmapped services)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.office import Office
from bot.domain.sop_model import Sop

__all__ = ["check_offices"]


def check_offices(offices: Iterable[Office], sops: Mapping[str, Sop]) -> list[str]:
    """Errors where an office names a missing SOP or lacks a service its SOPs hand over to."""
    errors: list[str] = []
    for office in offices:
        used: list[str] = []
        for service, key in office.sops.items():
            if key not in sops:
                errors.append(f"office {office.id}: sops.{service}: unknown SOP {key!r}")
            else:
                used.append(key)
        i = 0
        while i < len(used):
            for name in sorted(sops[used[i]].handovers()):
                if name in sops:
                    used += [name] if name not in used else []
                elif name not in office.sops:
                    errors.append(
                        f"office {office.id}: SOP {used[i]!r} hands over to service "
                        f"{name!r}, but the office has no sops.{name}"
                    )
            i += 1
    return errors
