"""YAML as configs and specs need it: plain data, unique keys, UTF-8 text, bounded size.

PyYAML's safe_load is permissive where a user's mistake should be an error, and raises
exceptions that are not the user's (UnicodeDecodeError, RecursionError). `load_bytes` and
`load_text` refuse, with one line per problem and a key path where there is one:

- bytes that are not UTF-8 text (a binary file, a file in another encoding);
- a duplicated key: YAML mappings have unique keys, and PyYAML would silently keep the last;
- any tag but the plain scalar/list/mapping ones (`!!python/object`, `!custom`): a config
  is data, never objects;
- aliases (`*name`): a handful of them expand to billions of nodes, and no config needs them;
- nesting deeper than MAX_DEPTH and files larger than MAX_BYTES.

Dates (`2024-01-01`) stay strings: no config value is a date. NaN and infinite floats load
(`.nan`, `.inf` are YAML) and are refused by the config and spec checks, which know the key.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor

from gansweep.errors import ProblemsError

MAX_BYTES = 1 << 20  # a config or a spec is a few KiB; this is far past any real one
MAX_DEPTH = 32
_Y = "tag:yaml.org,2002:"
PLAIN_TAGS = {_Y + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


class YamlError(ProblemsError):
    """Problems reading YAML text; callers re-raise them as their own error type."""

    def __init__(self, problems: list[str]):
        super().__init__(problems, "invalid YAML")


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, with a depth bound, reading dates as strings."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ComposerError(None, None, "aliases (*name) are not supported; write the "
                                            "value out", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor(_Y + "timestamp", SafeConstructor.construct_yaml_str)


def load_bytes(data: bytes, allow_empty: bool = False) -> Any:
    """Parse a file's bytes; see the module docstring for what is refused."""
    if len(data) > MAX_BYTES:
        raise YamlError([f"{len(data)} bytes; a config or spec is at most {MAX_BYTES}"])
    if b"\x00" in data:
        raise YamlError(["a binary file (it holds NUL bytes), not YAML text"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise YamlError([f"not UTF-8 text (byte {err.start} is {data[err.start]:#04x}); "
                         "save the file as UTF-8"]) from None
    return load_text(text, allow_empty)


def load_text(text: str, allow_empty: bool = False) -> Any:
    try:
        loader = _Loader(text)  # its reader refuses control characters already
    except yaml.YAMLError as err:
        raise YamlError([f"not valid YAML: {_one_line(err)}"]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            if allow_empty:
                return None
            raise YamlError(["empty file"])
        problems: list[str] = []
        _check(node, "", problems)
        if problems:
            raise YamlError(problems)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise YamlError([f"not valid YAML: {_one_line(err)}"]) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        # e.g. an int literal of 100,000 digits (Python's str -> int limit)
        if isinstance(err, YamlError):
            raise
        raise YamlError([f"not valid YAML: {err}"]) from None
    finally:
        loader.dispose()


def _check(node, path: str, problems: list[str]) -> None:
    """Tags and duplicate keys, each named by its key path, all at once."""
    where = path or "<root>"
    if node.tag not in PLAIN_TAGS:
        problems.append(f"{where}: YAML tag {node.tag!r} is not allowed; a config holds plain "
                        f"values (line {node.start_mark.line + 1})")
        return
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check(item, f"{path}[{i}]", problems)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            child = f"{path}.{name}" if path else str(name)
            if not isinstance(key, yaml.ScalarNode):
                problems.append(f"{where}: a key must be a plain name, not a list or mapping "
                                f"(line {key.start_mark.line + 1})")
                continue
            if key.tag not in PLAIN_TAGS:
                problems.append(f"{child}: YAML tag {key.tag!r} is not allowed")
                continue
            line = key.start_mark.line + 1
            if name in seen:
                problems.append(f"{child}: duplicate key (lines {seen[name]} and {line}); "
                                "YAML mappings have unique keys")
            else:
                seen[name] = line
            _check(value, child, problems)


def _one_line(err: yaml.YAMLError) -> str:
    return " ".join(str(err).split())
