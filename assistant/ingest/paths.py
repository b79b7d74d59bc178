"""Which files an indexing run reads: files named directly, and the files a folder holds (walked, hidden ones left
out); whether a file indexed before is gone."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.documents import SUPPORTED_SUFFIXES


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path], list[str]]:
    """(files named directly, files found in folders, skipped notes). Missing paths are an error."""
    direct: list[Path] = []
    walked: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise DocumentError(f"{path}: no such file or folder")
        if path.is_file():
            if not _utf8(path, skipped):
                continue
            direct.append(Path(os.path.abspath(path)))  # a link keeps its own name, as one found in a folder does
            continue
        folder = path.resolve()
        for child in _walk(folder, skipped):
            if child.suffix.lower() in SUPPORTED_SUFFIXES:
                walked.append(child)  # a link keeps its own name and place: it leaves the index when it goes
            else:
                skipped.append(f"{child.name}: unsupported file type {child.suffix or '(none)'}")
    return direct, walked, skipped


def _walk(folder: Path, skipped: list[str]) -> list[Path]:
    """The files under `folder`, hidden ones and those in hidden folders left out, symlinked folders not followed;
    a folder that cannot be read is a skipped note, not an error."""

    def unreadable(error: OSError) -> None:
        skipped.append(f"{error.filename}: folder not readable ({error.strerror})")

    found: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = [f for f in folders if not f.startswith(".")]
        found += [Path(root, name) for name in files if not name.startswith(".")]
    return sorted(p for p in found if _utf8(p, skipped) and _is_file(p))


def _utf8(path: Path, skipped: list[str]) -> bool:
    """A name that is not UTF-8 (its bytes kept as surrogates) cannot be stored or shown: a note, not a crash."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        skipped.append(f"{path.name!a}: file name is not UTF-8 text; rename it to index it")
        return False
    return True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a link into a folder that cannot be read
        return False


def gone(path: Path) -> bool:
    """The file is not there; False where that cannot be told (a folder that cannot be read): it is kept."""
    try:
        return not path.exists()
    except OSError:
        return False
