from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from assistant.settings import Settings, load_settings, settings_table


def test_nested_env_var_sets_a_field(monkeypatch: pytest.MonkeyPatch, clean_env: None) -> None:
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "8")
    monkeypatch.setenv("ASSISTANT_CHUNKING__CHUNK_TOKENS", "200")
    s = load_settings()
    assert s.retrieval.top_k == 8
    assert s.chunking.chunk_tokens == 200


@pytest.mark.parametrize("key", ["ASSISTANT_RETRIEVAL__TOPK", "ASSISTANT_NOPE", "ASSISTANT_NOPE__X"])
def test_unknown_env_key_is_an_error(monkeypatch: pytest.MonkeyPatch, clean_env: None, key: str) -> None:
    monkeypatch.setenv(key, "1")
    with pytest.raises(ValueError, match="unknown setting"):
        load_settings()


def test_unknown_keyword_and_bad_value_are_errors(clean_env: None) -> None:
    with pytest.raises(ValidationError):
        load_settings(retrieval={"top_kk": 3})
    with pytest.raises(ValidationError):
        load_settings(chunking={"chunk_tokens": 100, "overlap_tokens": 100})


def test_every_field_has_a_default_and_a_description() -> None:
    for name, section in Settings.model_fields.items():
        assert section.description, name
        model = section.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for field_name, field in model.model_fields.items():
            assert field.description, f"{name}.{field_name}"
            assert not field.is_required(), f"{name}.{field_name}"
    assert len(settings_table()) >= 20


def test_fingerprint_follows_only_index_shaping_settings(clean_env: None) -> None:
    base = load_settings()
    assert load_settings(retrieval={"top_k": 9}).index_fingerprint() == base.index_fingerprint()
    assert load_settings(chunking={"chunk_tokens": 300}).index_fingerprint() != base.index_fingerprint()
    assert load_settings(embedding={"model": "/some/model"}).index_fingerprint() != base.index_fingerprint()
