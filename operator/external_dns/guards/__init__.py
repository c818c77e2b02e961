"""Guards: rules none of ExternalDNS's users have, each holding back one kind of harm (see each module).

Every guard is a small module of its own, pure where it can be, with one narrow hook in the glue; when a guard
acts it logs a line saying what to do, posts a Warning on the objects concerned, and counts the act in
``external_dns_guard_actions_total{guard=...}`` (guards/metrics.py).
"""
