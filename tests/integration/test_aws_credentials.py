"""Route 53 credentials from --aws-profile and --aws-assume-role, and --aws-zone-match-parent, against moto.

A recording proxy in front of moto shows which access key signed each Route 53 request: moto accepts any
key, so the signature is where a wrong credential would show.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiobotocore.session import get_session
from aiohttp import web
from tests.backends.moto import MotoServer

from external_dns.domain_filter import DomainFilter
from external_dns.errors import ProviderError
from external_dns.providers.aws import AWSConfig, AWSProvider

ROLE = "arn:aws:iam::123456789012:role/external-dns"


@dataclass
class SigningProxy:
    """Forwards to moto and records the access key id of every signed request, by AWS service."""

    upstream: str
    keys: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = re.search(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/", request.headers.get("Authorization", ""))
        if found:
            self.keys.append((found.group(2), found.group(1)))
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, self.upstream + request.path_qs, headers=headers, data=body) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read(), content_type="text/xml")


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
async def proxy(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[SigningProxy]:
    moto_server.reset()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n"
        "[dns]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s2\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    recording = SigningProxy(upstream=moto_server.url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    recording.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", recording.url)  # botocore's own per-service endpoint setting
    yield recording
    await runner.cleanup()


async def create_zone(url: str, name: str) -> None:
    session = get_session()
    async with session.create_client(
        "route53", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIASETUP", aws_secret_access_key="x"
    ) as route53:
        await route53.create_hosted_zone(Name=name, CallerReference=name)


async def zone_names(proxy: SigningProxy, **settings: object) -> list[str]:
    provider = AWSProvider(AWSConfig(endpoint_url=proxy.url, **settings))  # type: ignore[arg-type]
    try:
        return [zone.name for zone in await provider.zones()]
    finally:
        await provider.close()


def route53_keys(proxy: SigningProxy) -> set[str]:
    return {key for service, key in proxy.keys if service == "route53" and key != "AKIASETUP"}


async def test_without_flags_the_default_chain_signs(proxy: SigningProxy) -> None:
    await create_zone(proxy.url, "example.com")
    assert await zone_names(proxy) == ["example.com"]
    assert route53_keys(proxy) == {"AKIADEFAULT"}


async def test_aws_profile_signs_with_that_profiles_credentials(proxy: SigningProxy) -> None:
    await create_zone(proxy.url, "example.com")
    assert await zone_names(proxy, profile="dns") == ["example.com"]
    assert route53_keys(proxy) == {"AKIAPROFILE"}


async def test_aws_assume_role_signs_route53_with_the_roles_credentials(proxy: SigningProxy) -> None:
    await create_zone(proxy.url, "example.com")
    names = await zone_names(proxy, profile="dns", assume_role=ROLE, assume_role_external_id="ext-1")
    assert names == ["example.com"]
    assert ("sts", "AKIAPROFILE") in proxy.keys  # the base credentials call STS...
    [key] = route53_keys(proxy)
    assert key.startswith("ASIA")  # ...and Route 53 sees the temporary ones moto issued for the role


async def test_a_refused_assume_role_is_a_provider_error_naming_the_flag(proxy: SigningProxy) -> None:
    with pytest.raises(ProviderError, match=r"--aws-assume-role not-an-arn: STS AssumeRole failed"):
        await zone_names(proxy, assume_role="not-an-arn")


async def test_zone_match_parent_adds_zones_above_the_filtered_domain(proxy: SigningProxy) -> None:
    for name in ("example.com", "team.example.com", "other.org"):
        await create_zone(proxy.url, name)
    only = DomainFilter(include=("app.team.example.com",))
    assert await zone_names(proxy, domain_filter=only) == []
    assert await zone_names(proxy, domain_filter=only, zone_match_parent=True) == ["example.com", "team.example.com"]
