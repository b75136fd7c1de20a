"""LoRA fine-tuning on a tiny random model (no download); skipped without the `finetune` extra."""

# The fine-tuning libraries are optional: imported inside the tests that the fixture lets run.
# ruff: noqa: PLC0415, S106

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.llm._finetune import (
    FinetuneNotInstalledError,
    generate,
    load_adapter,
    load_base,
    load_chat_jsonl,
    merge_adapter,
    require_finetune,
    train_lora,
)
from {{ cookiecutter.package_name }}.llm.settings import FinetuneSettings

EXAMPLES = [
    [
        {"role": "user", "content": f"What is {a} plus {b}?"},
        {"role": "assistant", "content": f"{a + b}"},
    ]
    for a in range(4)
    for b in range(3)
]


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_chat_jsonl_is_validated(tmp_path: Path) -> None:
    good = _write_jsonl(tmp_path / "good.jsonl", [{"messages": m} for m in EXAMPLES])
    assert len(load_chat_jsonl(good)) == len(EXAMPLES)
    bad = _write_jsonl(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    with pytest.raises(ValueError, match=r"bad.jsonl:1: .*ending in assistant"):
        load_chat_jsonl(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.jsonl:1"):
        load_chat_jsonl(broken)


@pytest.fixture(scope="module")
def finetune_libs() -> None:
    """Skip, with the fix, when the `finetune` extra is not installed."""
    try:
        require_finetune()
    except FinetuneNotInstalledError as exc:
        pytest.skip(str(exc))


def _tiny_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    transformers: Any = importlib.import_module("transformers")

    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [m["content"] for example in EXAMPLES for m in example] + ["user assistant system"]
    raw.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=specials))
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>"
    )


def _tiny_model(vocab_size: int) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    return LlamaForCausalLM(config)


@pytest.fixture(scope="module")
def trained(finetune_libs: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tokenizer = _tiny_tokenizer()
    model = _tiny_model(len(tokenizer))
    folder = tmp_path_factory.mktemp("ft")
    examples = load_chat_jsonl(
        _write_jsonl(folder / "train.jsonl", [{"messages": m} for m in EXAMPLES])
    )
    settings = FinetuneSettings(
        max_steps=4, batch_size=4, max_length=64, learning_rate=1e-2, qlora="off"
    )
    return train_lora(settings, examples, folder / "adapter", model=model, tokenizer=tokenizer)


def test_lora_adapter_is_trained_saved_and_reloaded(trained: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    assert (trained / "adapter_config.json").exists()
    assert (trained / "adapter_model.safetensors").exists()
    tokenizer = AutoTokenizer.from_pretrained(str(trained))
    model = load_adapter(_tiny_model(len(tokenizer)), trained)
    lora_b = [p for name, p in model.named_parameters() if "lora_B" in name]
    assert lora_b
    assert any(torch.count_nonzero(p) > 0 for p in lora_b)  # starts at zero: training moved it
    assert isinstance(generate(model, tokenizer, "What is 1 plus 2?", max_new_tokens=4), str)
    merged = merge_adapter(_tiny_model(len(tokenizer)), trained, tmp_path / "merged")
    assert (merged / "config.json").exists()


@pytest.mark.gpu
def test_qlora_loads_the_base_model_in_4_bits(finetune_libs: None, tmp_path: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("QLoRA needs a CUDA GPU")
    pytest.importorskip("bitsandbytes", reason="install the `qlora` extra: `uv sync --extra qlora`")
    tokenizer = _tiny_tokenizer()
    base = tmp_path / "base"
    _tiny_model(len(tokenizer)).save_pretrained(str(base))
    tokenizer.save_pretrained(str(base))
    settings = FinetuneSettings(base_model=str(base), qlora="on", max_steps=2, batch_size=2)
    model, loaded_tokenizer = load_base(settings)
    assert getattr(model, "is_loaded_in_4bit", False)
    examples = load_chat_jsonl(
        _write_jsonl(tmp_path / "t.jsonl", [{"messages": m} for m in EXAMPLES])
    )
    adapter = train_lora(
        settings, examples, tmp_path / "adapter", model=model, tokenizer=loaded_tokenizer
    )
    assert (adapter / "adapter_config.json").exists()
