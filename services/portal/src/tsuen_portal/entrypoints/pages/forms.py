"""Form errors the GOV.UK way: a summary at the top, each linked to its field."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FormErrors:
    """Field name → message id (translated in the template). Order is the page's order."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, name: str) -> str | None:
        return self.by_field.get(name)

    def items(self) -> list[tuple[str, str]]:
        return list(self.by_field.items())


def looks_like_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain and " " not in value and len(value) <= 254)
