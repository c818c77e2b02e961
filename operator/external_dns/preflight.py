"""Checks run once the flags parse and before the operator starts: configuration that only fails when used.

Inside Kopf, a failing startup handler is retried every 60 seconds with a traceback, and a busy port ends in
one too; for a wrong kubeconfig, a taken metrics port or missing credentials that is noise around a mistake that
will not fix itself. So these are checked first, and each problem is a :class:`ConfigError` with one line
naming the flag or env var, which the command line prints before exiting with status 2.
"""

from __future__ import annotations

import socket

from botocore.exceptions import BotoCoreError, ProfileNotFound

from external_dns.config import Settings
from external_dns.errors import ConfigError
from external_dns.kube import load_configuration


async def check_before_start(settings: Settings, *, serves_metrics: bool = True) -> None:
    """Every check that applies to these settings; the first problem raises ConfigError."""
    await load_configuration(settings.kubeconfig, settings.master)
    if serves_metrics:
        check_metrics_address(settings.metrics_address)
    await check_provider(settings)
    if settings.provider == "aws":
        await check_aws_credentials(settings.aws_profile)


async def check_provider(settings: Settings) -> None:
    """The provider can be built: its config file and credentials are readable (Azure, Google), its flags fit.

    Building one reads files and the environment only; it is closed again at once.
    """
    from external_dns import factory

    provider = factory.provider(settings)
    await provider.close()


def check_metrics_address(address: str) -> None:
    """The metrics address can be listened on (nothing else holds the port; the host is ours)."""
    host, _, port = address.rpartition(":")
    if int(port) == 0:
        return  # a free port is picked at start
    try:
        infos = socket.getaddrinfo(host or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ConfigError(f"--metrics-address: cannot resolve {host!r}: {error.strerror}") from None
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # The same option aiohttp sets, so a port in TIME_WAIT from our own last run does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
            probe.listen()
        except OSError as error:
            raise ConfigError(f"--metrics-address: cannot listen on {address}: {error.strerror}") from None


async def check_aws_credentials(profile: str) -> None:
    """botocore finds credentials (env, --aws-profile / AWS_PROFILE, web identity, instance role)."""
    from external_dns.providers.aws.session import make_session

    session = make_session(profile)
    try:
        credentials = await session.get_credentials()
    except ProfileNotFound:
        flag = "--aws-profile" if profile else "AWS_PROFILE"
        raise ConfigError(f"{flag}: no profile {session.profile!r} in the AWS config or credentials files") from None
    except BotoCoreError as error:
        raise ConfigError(f"AWS credentials: {error}") from None
    if credentials is None:
        raise ConfigError(
            "AWS credentials: none found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, --aws-profile, "
            "a web identity token (IRSA) or an instance role)"
        )
