"""Loading: once per process, and the parse cache never serves stale data."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalance.knowledge import loader
from tests.conftest import edit_yaml, record


def test_default_is_loaded_once_per_process() -> None:
    assert loader.default() is loader.default()


def test_cache_is_written_and_reused(data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("REBALANCE_CACHE_DIR", str(cache_dir))
    first = loader.load(data_copy)
    assert len(list(cache_dir.glob("knowledge-*.json"))) == 1
    second = loader.load(data_copy)
    assert set(second.muscle) == set(first.muscle)


def test_changed_data_is_never_served_from_the_cache(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCE_CACHE_DIR", str(tmp_path / "cache"))
    loader.load(data_copy)
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "piriformis").update(name="Pear muscle"))
    assert loader.load(data_copy).muscle["piriformis"].name == "Pear muscle"


def test_broken_yaml_is_not_cached_and_still_reported(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("REBALANCE_CACHE_DIR", str(cache_dir))
    (data_copy / "regions.yaml").write_text("- {id: [\n", encoding="utf-8")
    with pytest.raises(loader.KnowledgeBaseError):
        loader.load(data_copy)
    assert not list(cache_dir.glob("knowledge-*.json"))
    with pytest.raises(loader.KnowledgeBaseError, match=r"regions\.yaml: line"):
        loader.load(data_copy)


def test_duplicate_yaml_key_in_the_knowledge_base_is_reported(data_copy: Path) -> None:
    text = (data_copy / "regions.yaml").read_text(encoding="utf-8")
    (data_copy / "regions.yaml").write_text(text + "- {id: hip, name: Hip, name: Again, leg: false, summary: x}\n")
    with pytest.raises(loader.KnowledgeBaseError, match="duplicate key 'name'"):
        loader.load(data_copy)
