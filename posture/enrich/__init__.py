"""Enrichers: derive edges (internet reachability, segmentation flows) once per graph.

Each module here registers its functions in :data:`posture.engine.ENRICHERS` on import.
"""
