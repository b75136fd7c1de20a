"""LoRA fine-tuning of a causal LM on chat examples (transformers + peft + trl), QLoRA on CUDA.

Data: a JSONL file, one ``{"messages": [{"role": ..., "content": ...}, ...]}`` per line, rendered
with the tokenizer's chat template (a plain ChatML template when it has none). The adapter (and
tokenizer) is saved to ``FINETUNE__OUTPUT_DIR``; :func:`load_adapter` puts it back on the base
model and :func:`merge_adapter` writes a standalone merged model. With ``QLORA=auto`` and a CUDA
GPU, the base model is loaded in 4 bits (bitsandbytes, the ``qlora`` extra).

Needs the ``finetune`` extra: ``uv sync --extra finetune`` (on a machine without CUDA, install
the CPU build of torch first; see docs/pillars/llm.md).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .settings import FinetuneSettings

ROLES = ("system", "user", "assistant")
# Spelled apart: a template file (this project was generated from one) must not contain the markers.
_B, _E, _V, _W = "{" + "%", "%" + "}", "{" + "{", "}" + "}"
CHATML_TEMPLATE = (
    f"{_B} for message in messages {_E}<|im_start|>{_V} message['role'] {_W}\n"
    f"{_V} message['content'] {_W}<|im_end|>\n{_B} endfor {_E}"
    f"{_B} if add_generation_prompt {_E}<|im_start|>assistant\n{_B} endif {_E}"
)
"""A plain ChatML chat template, for tokenizers that have none."""


class FinetuneNotInstalledError(ImportError):
    """The optional fine-tuning libraries are missing."""


class ChatMessage(BaseModel):
    """One turn of a training conversation."""

    role: str
    content: str


class ChatExample(BaseModel):
    """One training conversation; it must end with the assistant's answer."""

    messages: list[ChatMessage]


def _module(name: str) -> Any:
    """An optional library typed as ``Any``: its type hints differ between versions and installs."""
    return importlib.import_module(name)


def require_finetune() -> None:
    """Raise :class:`FinetuneNotInstalledError` with the fix when the extra is missing."""
    try:
        import peft  # noqa: F401, PLC0415
        import torch  # noqa: F401, PLC0415
        import transformers  # noqa: F401, PLC0415
        import trl  # noqa: F401, PLC0415
    except ImportError as exc:
        raise FinetuneNotInstalledError(
            f"fine-tuning needs the `finetune` extra ({exc.name} is missing): "
            "`uv sync --extra finetune`"
        ) from exc


def load_chat_jsonl(path: Path) -> list[ChatExample]:
    """Read and validate the examples of ``path`` (the error names the line)."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            example = ChatExample.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"{path}:{number}: not a chat example: {exc}") from exc
        roles = [m.role for m in example.messages]
        if any(r not in ROLES for r in roles) or not roles or roles[-1] != "assistant":
            raise ValueError(f"{path}:{number}: roles {roles} must be {ROLES} ending in assistant")
        examples.append(example)
    if not examples:
        raise ValueError(f"{path}: no examples")
    return examples


def chat_texts(examples: Sequence[ChatExample], tokenizer: Any) -> list[str]:
    """Each example rendered by the tokenizer's chat template (ChatML when it has none)."""
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE
    return [
        tokenizer.apply_chat_template(
            [m.model_dump() for m in e.messages], tokenize=False, add_generation_prompt=False
        )
        for e in examples
    ]


def use_qlora(settings: FinetuneSettings) -> bool:
    """Whether to load the base model in 4 bits."""
    import torch  # noqa: PLC0415

    return settings.qlora == "on" or (settings.qlora == "auto" and torch.cuda.is_available())


def load_base(settings: FinetuneSettings) -> tuple[Any, Any]:
    """The base model (4-bit under QLoRA) and its tokenizer, from ``base_model``."""
    require_finetune()
    transformers = _module("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(settings.base_model)
    kwargs: dict[str, Any] = {}
    if use_qlora(settings):
        import bitsandbytes  # noqa: F401, PLC0415 (fail here, with the fix, not deep inside)
        import torch  # noqa: PLC0415

        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
    model = transformers.AutoModelForCausalLM.from_pretrained(settings.base_model, **kwargs)
    return model, tokenizer


def train_lora(
    settings: FinetuneSettings,
    examples: Sequence[ChatExample],
    output_dir: Path,
    *,
    model: Any = None,
    tokenizer: Any = None,
) -> Path:
    """Train a LoRA adapter on ``examples``; save it (and the tokenizer) to ``output_dir``.

    ``model`` / ``tokenizer`` default to :func:`load_base` of ``settings.base_model``.
    """
    require_finetune()
    import torch  # noqa: PLC0415
    from datasets import Dataset  # noqa: PLC0415

    peft, trl = _module("peft"), _module("trl")

    if model is None or tokenizer is None:
        model, tokenizer = load_base(settings)
    if getattr(model, "is_loaded_in_4bit", False):
        model = peft.prepare_model_for_kbit_training(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = Dataset.from_list([{"text": t} for t in chat_texts(examples, tokenizer)])
    lora = peft.LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=settings.target_modules or "all-linear",
        task_type="CAUSAL_LM",
    )
    cuda = torch.cuda.is_available()
    config = trl.SFTConfig(
        output_dir=str(output_dir / "checkpoints"),
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        max_length=settings.max_length,
        dataset_text_field="text",
        logging_steps=max(1, settings.max_steps // 10),
        save_strategy="no",
        report_to=[],
        seed=settings.seed,
        use_cpu=not cuda,
        bf16=cuda and torch.cuda.is_bf16_supported(),
    )
    trainer = trl.SFTTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora,
    )
    trainer.train()
    output_dir.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(str(output_dir))
    tokenizer.save_pretrained(str(output_dir))
    return output_dir


def load_adapter(base_model: Any, adapter_dir: Path) -> Any:
    """``base_model`` with the adapter of ``adapter_dir`` applied (a peft model)."""
    require_finetune()
    return _module("peft").PeftModel.from_pretrained(base_model, str(adapter_dir))


def merge_adapter(base_model: Any, adapter_dir: Path, output_dir: Path) -> Path:
    """Fold the adapter into the base weights and save a standalone model to ``output_dir``."""
    merged = load_adapter(base_model, adapter_dir).merge_and_unload()
    merged.save_pretrained(str(output_dir))
    return output_dir


def generate(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int = 32) -> str:
    """Greedy completion of a one-turn chat ``prompt`` (the new text only)."""
    import torch  # noqa: PLC0415

    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    inputs = tokenizer(text, return_tensors="pt").to(model.device)
    with torch.no_grad():
        output = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )
    new_tokens = output[0][inputs["input_ids"].shape[1] :]
    return str(tokenizer.decode(new_tokens, skip_special_tokens=True))
