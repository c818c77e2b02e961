"""ExternalDNS's Azure configuration: the azure.json file (``--azure-config-file``) and the flags overriding it.

The file is the one AKS nodes carry at /etc/kubernetes/azure.json, or one written for the operator: tenantId,
subscriptionId, resourceGroup, aadClientId / aadClientSecret, useManagedIdentityExtension,
userAssignedIdentityID, useWorkloadIdentityExtension. ExternalDNS reads it as YAML (JSON is YAML), and so does
this module. Secrets stay out of ``repr`` and of every message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from external_dns.errors import ConfigError

#: Azure Resource Manager's public endpoint (AzurePublicCloud).
DEFAULT_ENDPOINT = "https://management.azure.com"


@dataclass(frozen=True, slots=True)
class AzureConfig:
    """What the Azure providers need, from azure.json and the ``--azure-*`` flags."""

    subscription_id: str
    resource_group: str
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    use_managed_identity: bool = False
    user_assigned_identity_id: str = ""
    use_workload_identity: bool = False
    endpoint_url: str = DEFAULT_ENDPOINT
    zones_cache_duration: float = 0.0


def load_config(
    path: str,
    *,
    resource_group: str = "",
    subscription_id: str = "",
    user_assigned_identity_id: str = "",
    endpoint_url: str = DEFAULT_ENDPOINT,
    zones_cache_duration: float = 0.0,
) -> AzureConfig:
    """Read azure.json; the flags, when set, win over the file (as in ExternalDNS)."""
    try:
        raw: Any = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as error:
        raise ConfigError(f"--azure-config-file: cannot read {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"--azure-config-file: {path} is not valid JSON or YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"--azure-config-file: {path} must hold an object")
    config = AzureConfig(
        subscription_id=subscription_id or str(raw.get("subscriptionId", "")),
        resource_group=resource_group or str(raw.get("resourceGroup", "")),
        tenant_id=str(raw.get("tenantId", "")),
        client_id=str(raw.get("aadClientId", "")),
        client_secret=str(raw.get("aadClientSecret", "")),
        use_managed_identity=bool(raw.get("useManagedIdentityExtension", False)),
        user_assigned_identity_id=user_assigned_identity_id or str(raw.get("userAssignedIdentityID", "")),
        use_workload_identity=bool(raw.get("useWorkloadIdentityExtension", False)),
        endpoint_url=endpoint_url,
        zones_cache_duration=zones_cache_duration,
    )
    if not config.subscription_id:
        raise ConfigError(f"--azure-subscription-id: required (or subscriptionId in {path})")
    if not config.resource_group:
        raise ConfigError(f"--azure-resource-group: required (or resourceGroup in {path})")
    return config
