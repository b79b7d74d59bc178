"""Retrieval benchmarks on public data (SciFact, PubMedQA), run through the product's own index and retriever."""
