"""stub"""
NORMALISERS = {}
JOINED = frozenset()
