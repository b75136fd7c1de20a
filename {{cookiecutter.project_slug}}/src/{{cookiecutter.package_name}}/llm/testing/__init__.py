"""Offline test doubles of the LLM pillar, for this project's tests, demo and replay evals.

* :mod:`.fake_server`: :class:`FakeOpenAIServer`, a real HTTP server speaking the OpenAI protocol
  on 127.0.0.1 (rules answer from the request; :class:`Scripted` steps override them);
* :mod:`.fake_replies`: the rules (fill an output tool's schema, echo, call an offered tool);
* :mod:`.replay`: record a live model's answers and replay them offline (the evals' CI gate).
"""

from .fake_server import FakeOpenAIServer, Scripted

__all__ = ["FakeOpenAIServer", "Scripted"]
