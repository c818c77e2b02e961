"""What endpoints share instead of copying (memory at 100,000 objects): empty mappings and normalised names."""

from __future__ import annotations

import pytest

from external_dns.endpoint import NOTHING, RESOURCE_LABEL, Endpoint, endpoints_for_hostname, normalize_name


def test_a_normalised_name_is_returned_itself_and_any_other_as_its_normal_form() -> None:
    name = "".join(["web.", "example.com"])  # built at run time: not a shared constant
    assert normalize_name(name) is name
    assert normalize_name("Web.Example.COM.") == "web.example.com"
    assert normalize_name("bücher.example.com") == "xn--bcher-kva.example.com"


def test_endpoints_without_labels_or_properties_share_one_read_only_empty_mapping() -> None:
    plain = Endpoint("web.example.com", "A", ("203.0.113.10",))
    assert plain.labels is NOTHING and plain.provider_specific is NOTHING
    assert plain == Endpoint("web.example.com", "A", ("203.0.113.10",), labels={}, provider_specific={})
    with pytest.raises(TypeError):
        NOTHING["owner"] = "someone"  # type: ignore[index]


def test_endpoints_for_hostname_give_each_call_its_labels_and_no_empty_dicts() -> None:
    both = endpoints_for_hostname("web.example.com", ["203.0.113.10", "2001:db8::1"], resource="service/ns/web")
    assert [ep.record_type for ep in both] == ["A", "AAAA"]
    assert all(ep.labels == {RESOURCE_LABEL: "service/ns/web"} for ep in both)
    assert all(ep.provider_specific is NOTHING for ep in both)
    with_property = endpoints_for_hostname("web.example.com", ["203.0.113.10"], provider_specific={"alias": "true"})
    assert with_property[0].provider_specific == {"alias": "true"}
    assert with_property[0].labels is NOTHING
