"""Errors a user can act on. Each message is one line that says what is wrong and what to do."""


class AssistantError(Exception):
    """Base class: the CLI prints the message and exits non-zero, the API returns it as a 4xx."""


class InputError(AssistantError):
    """A question or argument that cannot be used (empty, too long, unknown id)."""


class DocumentError(AssistantError):
    """A file that cannot be indexed (missing, empty, binary, not UTF-8, unsupported type)."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with settings that shape it differently from the current ones."""


class StoreError(AssistantError):
    """The vector store cannot be opened or reached."""
