"""Record ownership: the TXT registry (ExternalDNS-compatible) and the noop registry.

See :mod:`external_dns.registry.base` for the protocol and the two levels of records it converts between.
"""

from external_dns.registry.base import Registry, RegistryView
from external_dns.registry.noop import NoopRegistry
from external_dns.registry.txt import FORCE_UPDATE_PROPERTY, TXTRegistry

__all__ = ["FORCE_UPDATE_PROPERTY", "NoopRegistry", "Registry", "RegistryView", "TXTRegistry"]
