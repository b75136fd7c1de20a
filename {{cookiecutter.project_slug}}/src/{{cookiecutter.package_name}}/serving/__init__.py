"""Serving pillar: a BentoML HTTP service with health, metrics, service info and example APIs.

Importing this package stays light (pydantic only). The BentoML service class lives in
:mod:`.service` and is imported by ``bentoml serve`` or on demand by the CLI.
"""

from ._schemas import EchoRequest, EchoResponse, InfoResponse, WordCount, describe_text
from .settings import SETTINGS, ServingSettings

__all__ = [
    "SETTINGS",
    "EchoRequest",
    "EchoResponse",
    "InfoResponse",
    "ServingSettings",
    "WordCount",
    "describe_text",
]
