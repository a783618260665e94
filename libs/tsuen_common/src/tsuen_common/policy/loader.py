"""Reading municipality policies from YAML: one file per municipality, named ``<code>-<name>.yaml``.

Every problem is reported as :class:`PolicyError` naming the file and the field path
(``222135-kakegawa.yaml: quota.unit_minutes: …``), because the people who edit these files are
operators comparing them with a municipality's published rules, not developers reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tsuen_common.policy.model import MunicipalityPolicy

__all__ = ["PolicyError", "PolicyRegistry", "UnknownMunicipality", "load_policies"]

_SUFFIXES = (".yaml", ".yml")


class PolicyError(ValueError):
    """A policy file is missing, unreadable or invalid; the message names the file and field."""


class UnknownMunicipality(LookupError):
    """No policy is loaded for the requested municipality code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no policy for municipality code {code!r}")
        self.code = code


class PolicyRegistry:
    """The loaded policies, by 全国地方公共団体コード."""

    __slots__ = ("_by_code",)

    def __init__(self, policies: Iterable[MunicipalityPolicy]) -> None:
        by_code: dict[str, MunicipalityPolicy] = {}
        for policy in policies:
            if policy.code in by_code:
                raise PolicyError(f"two policies for municipality code {policy.code}")
            by_code[policy.code] = policy
        self._by_code = by_code

    def get(self, code: str) -> MunicipalityPolicy:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownMunicipality(code) from None

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[MunicipalityPolicy]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice; PyYAML would silently keep the last one."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def parse_policy(file_name: str, text: str) -> MunicipalityPolicy:
    """Parse and validate one policy file's text; ``file_name`` is used in error messages."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyError(f"{file_name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{file_name}: expected a mapping of policy fields at the top level")
    try:
        policy = MunicipalityPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(
            f"{file_name}: {_field_path(error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise PolicyError(problems) from exc
    if not file_name.startswith(policy.code):
        # Keeps a directory listing readable and catches a copied file whose code was not changed.
        raise PolicyError(f"{file_name}: code: file name must start with the code {policy.code}")
    return policy


def _policy_files(directory: Traversable) -> list[Traversable]:
    return sorted(
        (
            entry
            for entry in directory.iterdir()
            if entry.is_file() and entry.name.endswith(_SUFFIXES)
        ),
        key=lambda entry: entry.name,
    )


def load_policies(directory: Path | None = None) -> PolicyRegistry:
    """Load every ``*.yaml`` policy in ``directory``, or the packaged presets when it is None."""
    source: Traversable = (
        files("tsuen_common.policy") / "presets" if directory is None else directory
    )
    if not source.is_dir():
        raise PolicyError(f"{source}: no such policy directory")
    entries = _policy_files(source)
    if not entries:
        raise PolicyError(f"{source}: no policy files (*.yaml)")

    policies: list[MunicipalityPolicy] = []
    seen: dict[str, str] = {}
    for entry in entries:
        policy = parse_policy(entry.name, entry.read_text(encoding="utf-8"))
        if policy.code in seen:
            raise PolicyError(
                f"{entry.name}: code: {policy.code} is already defined in {seen[policy.code]}"
            )
        seen[policy.code] = entry.name
        policies.append(policy)
    return PolicyRegistry(policies)
