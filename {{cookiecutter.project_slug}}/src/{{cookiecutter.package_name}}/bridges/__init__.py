"""Bridges: the code that needs two pillars at once, one module per pair.

``<pillar>_<partner>.py`` exists only when both pillars are part of the project (the template's
manifest lists it under ``bridges``). It imports both pillars' public ``__init__`` statically and
fills the extension points the first pillar declares (:mod:`..core.extensions`); core imports
every bridge module on the first read of an extension point. Nothing imports a bridge by name.
"""
