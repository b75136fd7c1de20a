"""Offline test doubles of the agents pillar.

Scripted role models for the tests, the demo and offline runs (:mod:`.scripted`,
:mod:`.scripted_roles`).
"""
