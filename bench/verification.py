"""Verification benchmark: the trained claim verifier beside the old cosine check, in one run.

    .venv/bin/python bench/verification.py [--per-kind 150] [--threads 1]   (the same as `assistant eval verification`)

See `assistant/evaluation/verification.py` for the rows and the files it writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.evaluation.verification import main

if __name__ == "__main__":
    sys.exit(main())
