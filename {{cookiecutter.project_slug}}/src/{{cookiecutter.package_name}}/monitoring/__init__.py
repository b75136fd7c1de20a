"""Monitoring hooks every pillar uses: metrics, tracing, logging context, prediction log.

Always present (not a pillar). Import the submodule you need, e.g.
``from ..monitoring.metrics import counter``; importing this package sets nothing up.
"""
