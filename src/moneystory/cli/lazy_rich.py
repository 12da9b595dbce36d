"""rich modules that `moneystory --help` would import without using them, put off.

typer draws `--help` with typer.rich_utils, which imports rich.markdown (markdown-it) and
rich.traceback (pygments) for a markup mode and pretty tracebacks this CLI turns off: a fifth
of `moneystory --help`. Until something really uses one, it is a stand-in that loads it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _StandIn(types.ModuleType):
    """A module not loaded yet: any name but its deferred class loads the real one."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import machinery probing (__path__, __spec__ …)
            raise AttributeError(name)
        return getattr(_loaded(self.__name__), name)


def _loaded(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _StandIn):
        del sys.modules[name]
    return importlib.import_module(name)


def _deferred_class(module: str, name: str) -> type:
    def create(cls: type, *args: Any, **kwargs: Any) -> Any:
        return getattr(_loaded(module), name)(*args, **kwargs)

    return type(name, (), {"__new__": create, "__module__": module})


def defer_unused_rich_modules() -> None:
    """Put each deferred module in place of the real one, unless it is loaded already."""
    import rich

    for module, name in _DEFERRED.items():
        if module not in sys.modules:
            stand_in = _StandIn(module)
            setattr(stand_in, name, _deferred_class(module, name))
            sys.modules[module] = stand_in
            setattr(rich, module.rpartition(".")[2], stand_in)

