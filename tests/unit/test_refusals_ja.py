"""Every refusal a person can see carries a Japanese message (issue 13, item 9).

No I/O: the services' error classes are walked, and every ``raise`` of one in their source is
read (AST) to check it says ``message_ja=`` unless its class has a message of its own.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tsuen_common import errors

ROOT = Path(__file__).resolve().parents[2]

# The modules that define each service's refusals (imported so their classes are known).
ERROR_MODULES = {
    "booking": ["tsuen_booking.domain.errors", "tsuen_booking.domain.ledger"],
    "eligibility": ["tsuen_eligibility.service_layer.errors"],
    "attendance": ["tsuen_attendance.service_layer.attendance"],
    "billing": ["tsuen_billing.domain.errors"],
    "identity": ["tsuen_identity.domain.errors", "tsuen_identity.domain.second_factor"],
    "notification": [],
}


def _load() -> None:
    for modules in ERROR_MODULES.values():
        for name in modules:
            importlib.import_module(name)


def _own_message(cls: type[errors.ServiceError]) -> bool:
    """The class says something of its own (a message, or a constructor that writes one);
    the shared kinds' messages are only a fallback, too general for a raise site."""
    if cls.__module__ == errors.__name__:
        return False
    return "message_ja" in vars(cls) or "__init__" in vars(cls)


def _raised_name(node: ast.Raise) -> tuple[str, ast.Call] | None:
    call = node.exc
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, call
    if isinstance(func, ast.Attribute):
        return func.attr, call
    return None


def raises_without_message(service: str) -> list[str]:
    _load()
    known = errors.all_error_classes()
    # The service's own class wins over the shared kind of the same name.
    classes = {cls.__name__: cls for cls in known if cls.__module__ == errors.__name__}
    classes |= {
        cls.__name__: cls for cls in known if cls.__module__.startswith(f"tsuen_{service}.")
    }
    missing = []
    source = ROOT / "services" / service / "src" / f"tsuen_{service}"
    for path in sorted(source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Raise) or (found := _raised_name(node)) is None:
                continue
            name, call = found
            cls = classes.get(name)
            # A role or tenant refusal (tsuen_common.auth.Forbidden, 403) answers the shared
            # Japanese message: the pages never offer what the role may not do.
            if cls is None or cls is errors.Forbidden or _own_message(cls):
                continue
            # message_ja= (the shared kinds take it by keyword only), or a constructor whose
            # second argument it is (attendance's AttendanceError requires it).
            if len(call.args) < 2 and not any(k.arg == "message_ja" for k in call.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} raise {name}(…)")
    return missing


@pytest.mark.parametrize("service", sorted(ERROR_MODULES))
def test_every_refusal_raised_says_it_in_japanese(service: str) -> None:
    missing = raises_without_message(service)
    assert missing == [], "refusals without message_ja:\n" + "\n".join(missing)


def test_every_error_class_has_a_code_and_a_japanese_message() -> None:
    _load()
    for cls in errors.all_error_classes():
        assert cls.code, cls
        assert cls.message_ja, cls
        assert any("\u3040" <= ch <= "\u30ff" for ch in cls.message_ja), cls
        assert 400 <= cls.status < 600, cls


def test_attendance_code_refusals_say_it_in_japanese() -> None:
    """The 2D-code refusals keep their own classes (and statuses, 400/403/409/410): each
    has a stable code and a message a guardian at the door can act on."""
    from tsuen_attendance.domain.codes import CodeError

    for cls in [CodeError, *CodeError.__subclasses__()]:
        assert cls.code, cls
        assert "コード" in cls.message_ja, cls
