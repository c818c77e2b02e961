"""The credential the Azure providers authenticate with, chosen as ExternalDNS chooses it.

In order: a service principal (aadClientId + aadClientSecret, unless either is the AKS placeholder ``msi``);
workload identity (useWorkloadIdentityExtension: the federated token file AKS mounts, with
``AZURE_FEDERATED_TOKEN_FILE``); a managed identity (useManagedIdentityExtension, user-assigned when
userAssignedIdentityID is set). azure-identity's async credentials do the token work and honour
``AZURE_AUTHORITY_HOST`` (and ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` for the instance metadata service).
"""

from __future__ import annotations

import os

from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential

from external_dns.errors import ConfigError
from external_dns.providers.azure.config import AzureConfig

#: AKS writes this placeholder as client id and secret on clusters that use a managed identity.
_MSI_PLACEHOLDER = "msi"


def credential_for(config: AzureConfig) -> AsyncTokenCredential:
    """The async credential for ``config``; a configuration that names none stops the start."""
    if (
        config.client_id
        and config.client_secret
        and _MSI_PLACEHOLDER not in (config.client_id.lower(), config.client_secret.lower())
    ):
        if not config.tenant_id:
            raise ConfigError("--azure-config-file: tenantId is required with aadClientId/aadClientSecret")
        return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret)
    if config.use_workload_identity:
        token_file = os.environ.get("AZURE_FEDERATED_TOKEN_FILE", "")
        tenant = config.tenant_id or os.environ.get("AZURE_TENANT_ID", "")
        client = config.client_id or os.environ.get("AZURE_CLIENT_ID", "")
        if not (token_file and tenant and client):
            raise ConfigError(
                "AZURE_FEDERATED_TOKEN_FILE: workload identity needs it, with AZURE_TENANT_ID and AZURE_CLIENT_ID "
                "(or tenantId and aadClientId in --azure-config-file); the AKS webhook sets all three"
            )
        return WorkloadIdentityCredential(tenant_id=tenant, client_id=client, token_file_path=token_file)
    if config.use_managed_identity:
        if config.user_assigned_identity_id:
            return ManagedIdentityCredential(client_id=config.user_assigned_identity_id)
        return ManagedIdentityCredential()
    raise ConfigError(
        "--azure-config-file: no credentials: set aadClientId and aadClientSecret, useWorkloadIdentityExtension, "
        "or useManagedIdentityExtension"
    )
