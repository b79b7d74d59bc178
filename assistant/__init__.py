"""A question-answering assistant for biomedical literature with checked citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant import environment as _environment  # noqa: F401  (sets offline flags before heavy imports)

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import assistant` (and the CLI) stays fast.
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    raise AttributeError(name)
