"""The routes other pillars put on the service: ``<pillar>.py``, one module per chosen pillar.

Each module exists only when both serving and that pillar are part of the project (the template's
manifest lists it under ``integrations``), imports only that pillar's public ``__init__`` and
defines ``contribute() -> Contribution`` (see :mod:`..adapters`).
"""
