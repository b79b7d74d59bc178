"""Claim verifier: is a sentence supported, contradicted or not found in the passage it cites?

`ClaimVerifier` (model.py) is the runtime; it loads the shipped weights from models/verifier/.
Training (`python -m assistant.answer.verifier.training`) and the benchmark (bench.py) import
torch and the data sets; importing this package imports neither.
"""

from assistant.answer.verifier.model import DEFAULT_DIR, LABELS, ClaimVerifier, Verdict

__all__ = ["DEFAULT_DIR", "LABELS", "ClaimVerifier", "Verdict"]
