"""KMock's DSL still injects faults into the local API server, and normal service resumes after."""

import kmock
import pytest

from external_dns.testing import ClusterRequestError, LocalCluster


@pytest.mark.parametrize("status", [500, 429, 409], ids=["server errors", "throttling", "conflicts"])
async def test_the_next_n_lists_fail_then_lists_work_again(api: LocalCluster, status: int) -> None:
    await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    api.emulator["list", kmock.resource("v1/services")][:2] << status
    for _ in range(2):
        with pytest.raises(ClusterRequestError) as err:
            await api.list("v1", "services", "default")
        assert err.value.status == status
    assert [item["metadata"]["name"] for item in await api.list("v1", "services", "default")] == ["a"]


async def test_injected_faults_touch_only_the_matching_resource(api: LocalCluster) -> None:
    api.emulator["post", kmock.resource("v1", "services")][:1] << 500
    await api.create("v1", "configmaps", {"metadata": {"name": "c"}}, "default")
    with pytest.raises(ClusterRequestError):
        await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    assert (await api.create("v1", "services", {"metadata": {"name": "a"}}, "default"))["metadata"]["name"] == "a"


async def test_a_failed_injected_create_stores_nothing(api: LocalCluster) -> None:
    api.emulator["post", kmock.resource("v1", "services")][:1] << 500
    with pytest.raises(ClusterRequestError):
        await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    assert await api.list("v1", "services", "default") == []


async def test_a_user_reaction_can_raise_a_kubernetes_error(api: LocalCluster) -> None:
    api.emulator["post", kmock.resource("v1", "services")][:1] << kmock.KubernetesError(429, "TooManyRequests", "slow")
    with pytest.raises(ClusterRequestError) as err:
        await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    assert (err.value.status, err.value.reason, err.value.body["message"]) == (429, "TooManyRequests", "slow")


async def test_the_namespaces_collection_is_served_while_faults_are_injected(api: LocalCluster) -> None:
    """KMock 0.8's path parser fails on /api/v1/namespaces: those requests skip the fault handler."""
    api.emulator["list", kmock.resource("v1", "services")] << 500
    assert {ns["metadata"]["name"] for ns in await api.list("v1", "namespaces")} == {"default", "kube-system"}
    with pytest.raises(ClusterRequestError):
        await api.list("v1", "services", "default")


async def test_requests_are_journaled_only_from_the_first_use_of_the_dsl(api: LocalCluster) -> None:
    for _ in range(3):
        await api.list("v1", "services", "default")
    assert len(api.emulator.faults) == 0
    api.emulator["get", "/never"] << 404
    for _ in range(2):
        await api.list("v1", "services", "default")
    assert len(api.emulator["list"]) == 2
