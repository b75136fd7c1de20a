"""sentence-transformers models (the ``sentence-transformers`` extra; downloads at first use)."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import Vectors, empty, normalise

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
INSTALL_HINT = (
    "the sentence-transformers embedder needs the `sentence-transformers` extra: "
    "`uv sync --extra sentence-transformers`"
)


class EmbedderNotInstalledError(ImportError):
    """The optional library of an embedder is missing (the message names the extra to install)."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model, downloaded from the Hugging Face Hub on first use.

    Raises:
        EmbedderNotInstalledError: the ``sentence-transformers`` extra is not installed (the
            message says how to add it).
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer  # noqa: PLC0415
        except ImportError as error:
            raise EmbedderNotInstalledError(INSTALL_HINT) from error
        self._model_name = model
        self._model = SentenceTransformer(model)
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """``st-<model>``."""
        return f"st-{self._model_name}"

    @property
    def dimension(self) -> int:
        """Length of every vector.

        Raises:
            ValueError: the model has no fixed output size.
        """
        # Renamed in sentence-transformers 6 (the old name warns and will go).
        model = self._model
        size = getattr(model, "get_embedding_dimension", None)
        dimension = (size or model.get_sentence_embedding_dimension)()
        if dimension is None:
            raise ValueError(f"{self._model_name} has no fixed embedding size")
        return int(dimension)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches of ``batch_size``, L2-normalised."""
        if not texts:
            return empty(self.dimension)
        return normalise(self._model.encode(list(texts), batch_size=self._batch_size))
