from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

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
    documented = {env for env, _typ, _default, _text in settings_table()}
    fields = {f"ASSISTANT_{n.upper()}__{f.upper()}" for n, s in Settings.model_fields.items() for f in _fields(s)}
    assert documented == fields


def _fields(section: FieldInfo) -> dict[str, FieldInfo]:
    model = section.annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model.model_fields


def _other_value(field: FieldInfo) -> object:
    """A valid value other than the default, from the field's own type and bounds."""
    default = field.default
    if isinstance(default, tuple):  # a tuple of names, e.g. answer.gate_off: one of the names it accepts
        names = get_args(get_args(field.annotation)[0])
        return (names[0],) if names else ("x-name",)  # free names (retrieval.lexicons) are checked where read
    choices = get_args(field.annotation)
    if choices and all(isinstance(c, str) for c in choices):
        return next(c for c in choices if c != default)
    if isinstance(default, bool):
        return not default
    if isinstance(default, int | float):
        high = next((getattr(m, "le", None) for m in field.metadata if getattr(m, "le", None) is not None), None)
        step = 1 if isinstance(default, int) else 0.125
        return default + step if high is None or default + step <= high else default - step
    if isinstance(default, Path):
        return Path("/tmp/assistant-settings-test")
    return "x-" + str(default)


def test_every_field_round_trips_through_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    for section_name, section in Settings.model_fields.items():
        for name, field in _fields(section).items():
            value = _other_value(field)
            env = f"ASSISTANT_{section_name.upper()}__{name.upper()}"
            monkeypatch.setenv(env, json.dumps(list(value)) if isinstance(value, tuple) else str(value))
            got = getattr(getattr(load_settings(), section_name), name)
            assert got == value and got != field.default, f"{env}={value} read back as {got!r}"
            monkeypatch.delenv(env)


def test_fingerprint_follows_only_index_shaping_settings(clean_env: None) -> None:
    base = load_settings()
    assert load_settings(retrieval={"top_k": 9}).index_fingerprint() == base.index_fingerprint()
    assert load_settings(chunking={"chunk_tokens": 300}).index_fingerprint() != base.index_fingerprint()
    assert load_settings(embedding={"model": "/some/model"}).index_fingerprint() != base.index_fingerprint()
