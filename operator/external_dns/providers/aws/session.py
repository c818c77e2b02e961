"""Route 53 credentials: botocore's default chain, a named profile (--aws-profile), or an assumed role.

``--aws-assume-role`` (with ``--aws-assume-role-external-id``) works as in ExternalDNS: the base credentials
(chain or profile) call STS AssumeRole, and Route 53 is called with the temporary credentials it returns. They
expire (one hour by default), so :class:`AssumedRole` says when the client should be rebuilt with fresh ones.
STS is reached where botocore's own settings say (``AWS_ENDPOINT_URL_STS``, region endpoints), so tests can
point it at moto. Credentials are never logged; errors name the flag and AWS's error code only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError

from external_dns.errors import ProviderError

#: The session name shown in CloudTrail for our calls, as ExternalDNS's.
ROLE_SESSION_NAME = "external-dns"
#: Rebuild the client this long before the role's credentials expire, so no call races the expiry.
REFRESH_MARGIN = datetime.timedelta(minutes=5)


def make_session(profile: str = "") -> AioSession:
    """A botocore session; with ``profile``, its credentials and settings come from that named profile."""
    session = get_session()
    if profile:
        session.set_config_variable("profile", profile)
    return session


@dataclass(frozen=True, slots=True)
class AssumedRole:
    """Temporary credentials from STS AssumeRole, and when they stop working."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: datetime.datetime

    def client_arguments(self) -> dict[str, str]:
        """Keyword arguments of ``create_client`` that make the client use these credentials."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }

    def expires_soon(self, now: datetime.datetime | None = None) -> bool:
        now = now or datetime.datetime.now(datetime.UTC)
        return now >= self.expires_at - REFRESH_MARGIN


async def assume_role(session: AioSession, role_arn: str, external_id: str, region: str) -> AssumedRole:
    """Call STS AssumeRole with the session's own credentials; ProviderError (naming the flag) on failure."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    try:
        async with session.create_client("sts", region_name=region) as sts:
            answer = await sts.assume_role(**params)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise ProviderError(f"--aws-assume-role {role_arn}: STS AssumeRole failed: {code}") from None
    except BotoCoreError as error:
        raise ProviderError(f"--aws-assume-role {role_arn}: STS AssumeRole failed: {error}") from None
    credentials = answer["Credentials"]
    expires_at = credentials["Expiration"]
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=datetime.UTC)
    return AssumedRole(
        access_key_id=credentials["AccessKeyId"],
        secret_access_key=credentials["SecretAccessKey"],
        session_token=credentials["SessionToken"],
        expires_at=expires_at,
    )
