"""The quarterly external scan: nmap port discovery strictly inside a declared scope.

``scope`` (what may be touched), ``addresses`` (parsing and resolution), ``portscan`` (nmap), ``services``
(known-weak service versions) and ``external`` (discovery + the TLS probe of :mod:`posture.tls`).
"""
