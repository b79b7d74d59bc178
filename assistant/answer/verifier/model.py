"""The runtime claim verifier: is a sentence supported, contradicted or not found in a passage?

A sentence that restates a passage sentence in other letters only (`surface.restates`: a quote, a spelling
variant, the passage's own aliases, its qualifiers left out) is supported by that sentence without the model.
Otherwise a MiniLM cross-encoder (trained by `python -m assistant.answer.verifier.training`) scores the sentence
against passage units: single passage sentences and one two-sentence window, each with the sentence's direction
verbs written as the unit writes their sense in the same place (`rewording.align`). The sentence sharing most
words goes first, in one batch for all items; the other units only for items it did not support, so a
faithful sentence usually costs one model call (see `ClaimVerifier.verify_many`). A passage supports a
sentence when some unit does (calibrated probability >= the support threshold, or the far one for a unit that holds
few of the sentence's words: `VerifierConfig.far`); else it contradicts it
when some unit does, unless each contradicting unit, read again with the sentence's verbs of the same direction
written as the unit writes them ("reduced" where it says "inhibited"), contradicts it no more: then, as otherwise,
the sentence is not found. Weights are stored fp16 and run as `dtype` says (`encoder`). Dynamic
int8 quantisation (`quantize`) is off in verifier.json: its activation scales are set per batch, so a verdict
would depend on the other items of its batch; run one pair at a time to avoid that, it is no faster than fp32 in
batches here (14 ms a unit both) and it moves the argmax of one unit in thirty. Torch is imported on first use and its
thread setting is left as the caller set it.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.terms import content_terms, key_terms
from assistant.answer.verifier.aims import aim_read
from assistant.answer.verifier.contrast import read_apart, rule_out
from assistant.answer.verifier.encoder import batched_logits, open_encoder, quantized
from assistant.answer.verifier.placement import borrowed, opposed
from assistant.answer.verifier.rewording import align
from assistant.answer.verifier.roles import roles_swapped
from assistant.answer.verifier.surface import restates
from assistant.answer.verifier.units import Unit, citation_lines, names_held, not_a_statement, window_unit

LABELS = ("supported", "contradicted", "not_found")
SUPPORTED, CONTRADICTED, NOT_FOUND = LABELS
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "models" / "verifier"
CONFIG_FILE = "verifier.json"
Rename = Callable[[str, str], str]  # (sentence, passage text) -> the sentence with its names as the text writes them


@dataclass(frozen=True)
class Verdict:
    """The verdict on one sentence against one passage."""

    label: str  # supported | contradicted | not_found
    score: float  # calibrated probability of the label (not_found: 1 - the best supported/contradicted one)
    rationale: tuple[int, ...]  # indices of the passage sentences the verdict rests on (empty when not found)
    probabilities: dict[str, float] = field(default_factory=dict)  # of the deciding unit, calibrated


@dataclass(frozen=True)
class VerifierConfig:
    """Decision settings saved beside the weights; training chose them on the train-side validation slice."""

    temperature: float = 1.0
    support_threshold: float = 0.5
    contradict_threshold: float = 0.5
    max_length: int = 128
    max_units: int = 0  # passage sentences scored per item in round 2; 0: all of them
    # A unit holding less than `near_overlap` of the sentence's content words supports it at `far_support_threshold`
    # (None: at `support_threshold` too): see `far`.
    far_support_threshold: float | None = None
    near_overlap: float = 0.0
    quantize: bool = False
    dtype: str = "float32"  # float32, bfloat16, or auto: bfloat16 where the CPU computes it natively (`encoder`)

    @classmethod
    def load(cls, folder: Path) -> VerifierConfig:
        return cls(**saved_settings(folder / CONFIG_FILE, cls.__dataclass_fields__))

    def far(self, premise: str, hypothesis: str) -> bool:
        """Whether the unit `premise` holds so few of the words of `hypothesis` (as the model reads them) that the
        far threshold decides its support. The weights are surest, and most often wrong, on near copies of a unit
        with one fact changed, which set `support_threshold`; on a sentence written in other words a lower
        probability is as precise (calibration chooses both on the train-side validation slice)."""
        return self.far_support_threshold is not None and overlap(premise, hypothesis) < self.near_overlap


def saved_settings(path: Path, known: Collection[str]) -> dict[str, Any]:
    """The `known` keys of a JSON file saved beside model weights (none when there is no file): what else training
    wrote there (validation figures, how they were chosen) is for the model card."""
    if not path.is_file():
        return {}
    return {k: v for k, v in json.loads(path.read_text()).items() if k in known}


def _terms(text: str) -> set[str]:
    return content_terms(text) | {f"#{t}" for t in key_terms(text)}


def overlap(premise: str, hypothesis: str) -> float:
    """The share of the content words of `hypothesis` that `premise` holds (1.0 for a hypothesis without any)."""
    wanted = content_terms(hypothesis)
    return len(wanted & content_terms(premise)) / len(wanted) if wanted else 1.0


def rank_sentences(hypothesis: str, sentences: Sequence[str]) -> list[int]:
    """Passage sentence indices, most content words shared with the hypothesis first."""
    wanted = _terms(hypothesis)
    scores = []
    for text in sentences:
        have = _terms(text)
        # Key terms (numbers, gene and drug names) count twice; long sentences share words by chance.
        shared = sum(2.0 if t.startswith("#") else 1.0 for t in wanted & have)
        scores.append(shared / math.log(len(have) + 3))
    return sorted(range(len(sentences)), key=lambda i: (-scores[i], i))


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


class ClaimVerifier:
    """Loads the shipped verifier on first use; `verify_many` batches all (sentence, passage) items."""

    # Batches of 16 pad less than 32: 7% less time per item on the 420 train-side validation probes, same verdicts.
    # `align_verbs`: the sentence's direction verbs written as each unit writes their sense (`rewording.align`).
    # `reread`: a contradiction is read again with verbs of the same direction aligned too (`_reread`; with
    # `align_verbs` only). `contrast`: a unit's "but not" part is read apart (`contrast.read_apart`). `tense`: an
    # aligned verb is also written in the unit's tense (`align(tense=True)`). `bare`: a plural subject's bare verb
    # ("corticosteroids lower") is aligned too (`align(bare=True)`). `aims`: a unit that states an aim contradicts no
    # finding (`aims.aim_read`). `veto`: a window does not support a sentence that one of its sentences alone
    # contradicts (`decide`), unless the reread dissolves that contradiction; off: it met its rule on the train-side
    # validation slice but turned a true seed finding into a contradiction (docs/verifier.md, 2026-12-07).
    # `headings`: a unit that does not end as a sentence (a title, a heading, a label) names a topic and contradicts
    # nothing ("Imiquimod cream in superficial basal cell carcinoma" contradicted a faithful claim of that study),
    # nor does a table row as ingest writes one ("Drug: Rosuvastatin; LDL reduction: 55%; Dose: 40 mg." contradicted
    # the faithful "Rosuvastatin 40 mg lowered LDL by 55%.": the model never read a record in training).
    # `named`: a unit that lacks a name of the sentence (`names_held`) contradicts nothing: it is about something
    # else, as a swapped name is (`not_found` in training too).
    # `opposite`: a unit that says the opposite direction of the same thing as a verb of the sentence does not
    # support it (`placement.opposed`): its support is read as a contradiction ("weakened antitumor immune
    # responses" was supported by a window of one sentence's "decreased" and the next one's "enhanced antitumor
    # immune responses"); nor does a window that lends one sentence's verb to the other's object
    # (`placement.borrowed`; not found). `roles`: nor one whose groups, arms or values the sentence exchanges
    # (`roles`: "9.7% in the placebo group and 8.9% in the colchicine group" against the passage's other way round).
    def __init__(
        self, path: Path | str = DEFAULT_DIR, *, batch_size: int = 16, quantize: bool | None = None,
        align_verbs: bool = True, reread: bool = True, dtype: str | None = None, contrast: bool = True,
        tense: bool = True, bare: bool = True, aims: bool = True, veto: bool = False, headings: bool = True,
        named: bool = False, opposite: bool = True, roles: bool = True,
    ) -> None:  # fmt: skip
        self.path = Path(path)
        self.align_verbs = align_verbs
        self.reread = reread
        self.contrast = contrast
        self.tense = tense
        self.bare = bare
        self.aims = aims
        self.veto = veto
        self.headings = headings
        self.named = named
        self.opposite = opposite
        self.roles = roles
        self.config = VerifierConfig.load(self.path)
        self.quantize = self.config.quantize if quantize is None else quantize
        self.dtype = self.config.dtype if dtype is None else dtype
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self.units_scored = 0  # model calls made, for latency accounting

    def _load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            command = "python -m assistant.answer.verifier.training"
            tokenizer, model = open_encoder(self.path, "verifier", command, "float32" if self.quantize else self.dtype)
            self._tokenizer, self._model = tokenizer, quantized(model) if self.quantize else model

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits, one row per (premise, hypothesis) pair."""
        self._load()
        out = batched_logits(self._tokenizer, self._model, pairs, self.config.max_length, self.batch_size)
        self.units_scored += len(pairs)
        return out

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return _softmax(self.logits(pairs), self.config.temperature) if pairs else np.zeros((0, len(LABELS)))

    def verify(self, sentence: str, passage_sentences: Sequence[str]) -> Verdict:
        return self.verify_many([(sentence, passage_sentences)])[0]

    def verify_many(self, items: Sequence[tuple[str, Sequence[str]]], rename: Rename | None = None) -> list[Verdict]:
        """One verdict per (sentence, passage sentences) item, in three batched rounds. `rename(sentence, text)`: the
        sentence with its names written as the text writes them (`AliasMap.written_as`), applied per unit.

        1: the passage sentence sharing most words; 2: for items it did not support, the other sentences
        (at most `max_units`); 3: for items still unsupported, the window of the likeliest sentence and its
        likelier neighbour (evidence split over two sentences).
        """
        whole = [rename(s, " ".join(p)) if rename else s for s, p in items]
        quoted = [restates(w, p) for w, (_, p) in zip(whole, items, strict=True)]
        ranked = [rank_sentences(w, p) if q is None else [] for w, (_, p), q in zip(whole, items, quoted, strict=True)]
        scored: list[dict[Unit, np.ndarray]] = [{} for _ in items]
        far: list[set[Unit]] = [set() for _ in items]  # units whose support the far threshold decides
        seen: dict[tuple[str, str], np.ndarray] = {}
        score = partial(self._score, items, scored=scored, far=far, seen=seen, rename=rename)
        score([(i, (r[0],)) for i, r in enumerate(ranked) if r])
        open_ = [i for i, r in enumerate(ranked) if r and not self._supported(scored[i])]
        limit = self.config.max_units or None
        score([(i, (j,)) for i in open_ for j in ranked[i][1:limit]])
        open_ = [i for i in open_ if len(ranked[i]) > 1 and not self._supported(scored[i])]
        score([(i, window_unit(scored[i], len(items[i][1]), citation_lines(items[i][1]))) for i in open_])
        verdicts = [
            _quote_verdict(q) if q is not None else self._decide(units, apart)
            for q, units, apart in zip(quoted, scored, far, strict=True)
        ]
        if self.reread and self.align_verbs:
            vetoed = self._vetoed(quoted, scored, far, verdicts)
            self._reread(items, scored, verdicts, seen, rename)
            for i, window in vetoed.items():  # a veto stands only while its contradiction does
                if verdicts[i].label == NOT_FOUND:
                    verdicts[i] = window
        return verdicts

    def _vetoed(
        self, quoted: list[int | None], scored: list[dict[Unit, np.ndarray]], far: list[set[Unit]],
        verdicts: list[Verdict],
    ) -> dict[int, Verdict]:  # fmt: skip
        """Item -> the window's support that the veto turned into a contradiction (none without `veto`)."""
        if not self.veto:
            return {}
        found = {}
        for i, verdict in enumerate(verdicts):
            if quoted[i] is None and verdict.label == CONTRADICTED:
                window = self._decide(scored[i], far[i], veto=False)
                if window.label == SUPPORTED:
                    found[i] = window
        return found

    def _reread(
        self,
        items: Sequence[tuple[str, Sequence[str]]],
        scored: list[dict[Unit, np.ndarray]],
        verdicts: list[Verdict],
        seen: dict[tuple[str, str], np.ndarray],
        rename: Rename | None = None,
    ) -> None:
        """A contradiction that rests on a verb of the same direction said another way ("reduced" where the unit
        says "inhibited") is none: each contradicting unit is read again with such verbs written as the unit writes
        them (`align(across=True)`), and where none contradicts then, the verdict becomes not found. Never
        supported: a lower amount is not always a weaker activity. A unit without such a verb keeps its verdict."""
        threshold = self.config.contradict_threshold
        todo: dict[int, list[tuple[str, str]]] = {}
        for i, verdict in enumerate(verdicts):
            if verdict.label != CONTRADICTED:
                continue
            sentence, passage = items[i]
            texts = [" ".join(passage[j] for j in u) for u, p in scored[i].items() if p[1] >= threshold]
            named = [(text, rename(sentence, text) if rename else sentence) for text in texts]
            read = [self.pair(text, n) for text, n in named]
            if any(self._reversed(pair, [pair[0]]) for pair in read):
                continue  # the opposite said in the same place: no choice of verb to read again
            pairs = [(text, align(n, text, across=True, tense=self.tense, bare=self.bare)) for text, n in named]
            if pairs and all(loose != plain for (_, loose), (_, plain) in zip(pairs, read, strict=True)):
                todo[i] = pairs
        fresh = list(dict.fromkeys(p for pairs in todo.values() for p in pairs if p not in seen))
        seen.update(zip(fresh, self.probabilities(fresh), strict=True))
        for i, pairs in todo.items():
            again = [seen[p] for p in pairs]
            if all(p[1] < threshold for p in again):
                verdicts[i] = _not_found(np.stack(again))

    def _score(
        self,
        items: Sequence[tuple[str, Sequence[str]]],
        todo: list[tuple[int, Unit]],
        *,
        scored: list[dict[Unit, Any]],
        far: list[set[Unit]],
        seen: dict[tuple[str, str], np.ndarray],
        rename: Rename | None = None,
    ) -> None:
        """Score the units not scored yet, and mark those the far threshold decides (`VerifierConfig.far`). A
        (passage text, sentence) pair is scored once per call: overlapping chunks retrieved for one sentence share
        sentences, and its probabilities do not depend on the item."""
        todo = [(i, u) for i, u in todo if u not in scored[i]]
        texts = [" ".join(items[i][1][j] for j in unit) for i, unit in todo]
        named = [rename(items[i][0], text) if rename else items[i][0] for (i, _), text in zip(todo, texts, strict=True)]
        pairs = [self.pair(text, said) for text, said in zip(texts, named, strict=True)]
        fresh = list(dict.fromkeys(p for p in pairs if p not in seen))
        seen.update(zip(fresh, self.probabilities(fresh), strict=True))
        for (i, unit), pair, said in zip(todo, pairs, named, strict=True):
            texts = [items[i][1][j] for j in unit]
            probs = read_apart(pair[0], said, seen[pair]) if self.contrast else seen[pair]
            probs = aim_read(texts, said, probs) if self.aims else probs
            probs = rule_out(probs, 0, to=1) if self._reversed(pair, texts) else probs
            probs = rule_out(probs, 0) if self.opposite and len(unit) > 1 and borrowed(texts, pair[1]) else probs
            heading = all(map(not_a_statement, texts))  # (a window of two rows too)
            unnamed = self.named and not names_held(pair[0], said)
            scored[i][unit] = rule_out(probs, 1) if (self.headings and heading) or unnamed else probs
            if self.config.far(*pair):
                far[i].add(unit)

    def _reversed(self, pair: tuple[str, str], sentences: list[str]) -> bool:
        """The unit says the opposite in place, or exchanges roles (in a window, within one of its sentences too:
        the other sentence may name the same groups)."""
        unit, sentence = pair
        if self.opposite and opposed(unit, sentence):
            return True
        return self.roles and any(roles_swapped(text, sentence) for text in dict.fromkeys([unit, *sentences]))

    def pair(self, unit: str, sentence: str) -> tuple[str, str]:
        """The (premise, hypothesis) the model reads for a sentence (its names already as the unit writes them)
        against a passage unit."""
        return unit, align(sentence, unit, tense=self.tense, bare=self.bare) if self.align_verbs else sentence

    def _supported(self, units: dict[Unit, np.ndarray]) -> bool:
        """Supported at the support threshold: scoring stops there. A far unit's support may yet meet a
        contradiction in a unit not scored, so the item goes on (calibration scores every unit)."""
        return any(p[0] >= self.config.support_threshold for p in units.values())

    def _decide(self, units: dict[Unit, np.ndarray], far: Collection[Unit], veto: bool | None = None) -> Verdict:
        config = self.config
        vetoes = self.veto if veto is None else veto
        return decide(
            units, config.support_threshold, config.contradict_threshold, far, config.far_support_threshold, vetoes
        )


def decide(
    units: dict[Unit, np.ndarray], support: float, contradict: float, far: Collection[Unit] = (),
    far_support: float | None = None, veto: bool = False,
) -> Verdict:  # fmt: skip
    """Supported if some unit supports (a unit in `far` at `far_support`, where set, unless some unit contradicts:
    a weaker support does not stand against a contradiction; with `veto`, a window none of whose sentences alone
    contradicts it: evidence split over two sentences adds up, but does not overturn one that says otherwise); else
    contradicted if some unit contradicts; else not found. Of the units that support, the likeliest decides."""
    if not units:
        return Verdict(NOT_FOUND, 1.0, (), dict.fromkeys(LABELS, 0.0) | {NOT_FOUND: 1.0})
    keys = list(units)
    table = np.stack([units[k] for k in keys])
    lower = far_support is not None and not bool((table[:, 1] >= contradict).any())
    against = (
        {k[0] for k, row in zip(keys, table, strict=True) if len(k) == 1 and row[1] >= contradict} if veto else set()
    )
    bars = np.array([
        np.inf if against.intersection(k) and len(k) > 1 else far_support if lower and k in far else support
        for k in keys
    ])  # fmt: skip
    best_con = int(table[:, 1].argmax())
    if (table[:, 0] >= bars).any():
        best_sup = int(np.where(table[:, 0] >= bars, table[:, 0], -1.0).argmax())
        return _verdict(SUPPORTED, keys[best_sup], table[best_sup], float(table[best_sup, 0]))
    if table[best_con, 1] >= contradict:
        return _verdict(CONTRADICTED, keys[best_con], table[best_con], float(table[best_con, 1]))
    return _not_found(table)


def _not_found(table: np.ndarray) -> Verdict:
    """Not found, with the probabilities of the unit closest to a decision (one row per unit)."""
    closest = int(table[:, :2].max(axis=1).argmax())
    return _verdict(NOT_FOUND, (), table[closest], 1.0 - float(table[closest, :2].max()))


def _verdict(label: str, unit: Unit, probs: np.ndarray, score: float) -> Verdict:
    return Verdict(label, round(score, 4), unit, {k: round(float(p), 4) for k, p in zip(LABELS, probs, strict=True)})


def _quote_verdict(index: int) -> Verdict:
    return Verdict(SUPPORTED, 1.0, (index,), {SUPPORTED: 1.0, CONTRADICTED: 0.0, NOT_FOUND: 0.0})
