"""Settings: env forms of every kind of value, defaults, precedence, validation messages, secrets."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from external_dns.config import Settings, env_names, flag_name, format_duration, parse_duration
from external_dns.endpoint import RecordType
from external_dns.errors import ConfigError

MINIMAL_ENV = {"EXTERNAL_DNS_SOURCE": "service", "EXTERNAL_DNS_PROVIDER": "inmemory"}
TSIG_SECRET = base64.b64encode(b"tsig-secret-value").decode()
AES_KEY = base64.b64encode(b"k" * 32).decode()


def settings_from_env(**env: str) -> Settings:
    return Settings.load(env={**MINIMAL_ENV, **env})


def settings_from_flags(**flags: Any) -> Settings:
    return Settings.load({"source": ["service"], "provider": "inmemory", **flags}, env={})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("30s", 30.0, id="seconds"),
        pytest.param("1m", 60.0, id="minutes"),
        pytest.param("1h30m", 5400.0, id="hours and minutes combine"),
        pytest.param("500ms", 0.5, id="milliseconds"),
        pytest.param("1.5h", 5400.0, id="fractions of a unit"),
        pytest.param("2us", 2e-6, id="microseconds"),
        pytest.param("-1m", -60.0, id="a sign applies to the whole duration"),
        pytest.param("0", 0.0, id="bare zero"),
    ],
)
def test_parse_duration_reads_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1d", id="days are not a Go unit"),
        pytest.param("m", id="a unit without a number"),
        pytest.param("1m30", id="a trailing number without unit"),
        pytest.param("", id="empty"),
        pytest.param("ten seconds", id="words"),
        pytest.param("45", id="a number without a unit, as Go rejects it"),
        pytest.param("0.25", id="a decimal without a unit"),
    ],
)
def test_parse_duration_rejects_what_go_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(60.0, "1m"), (5400.0, "1h30m"), (0.2, "200ms"), (0.0, "0s"), (30.0, "30s"), (90.5, "1m30.5s")],
    ids=["one minute", "hour and a half", "milliseconds", "zero", "seconds", "fractional seconds"],
)
def test_format_duration_writes_go_form(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_defaults_are_those_of_external_dns() -> None:
    settings = settings_from_env()
    assert settings.annotation_prefix == "external-dns.alpha.kubernetes.io/"
    assert settings.policy == "sync"
    assert settings.registry == "txt"
    assert settings.txt_owner_id == "default"
    assert settings.managed_record_types == [RecordType.A, RecordType.AAAA, RecordType.CNAME]
    assert settings.interval == 60.0
    assert settings.min_event_sync_interval == 5.0
    assert settings.debounce == 0.2
    assert settings.events_emit == ["RecordReady", "RecordError", "RecordDeleted"]
    assert settings.exclude_unschedulable is True
    assert settings.ignore_non_host_network_pods is True
    assert settings.crd_source_apiversion == "externaldns.k8s.io/v1alpha1"
    assert settings.crd_source_kind == "DNSEndpoint"
    assert settings.metrics_address == ":7979"
    assert settings.request_timeout == 30.0
    assert (settings.rfc2136_port, settings.rfc2136_tsig_secret_alg) == (53, "hmac-sha256")
    assert (settings.rfc2136_axfr, settings.rfc2136_batch_change_size) == (True, 50)
    assert (settings.aws_batch_change_size, settings.aws_batch_change_size_bytes) == (1000, 32000)
    assert (settings.aws_api_retries, settings.aws_evaluate_target_health) == (3, True)
    assert settings.aws_region == "us-east-1"
    assert settings.cloudflare_dns_records_per_page == 100
    assert settings.cloudflare_api_url == "https://api.cloudflare.com/client/v4"
    assert (settings.pdns_server, settings.pdns_server_id) == ("http://localhost:8081", "localhost")
    assert settings.webhook_provider_url == "http://localhost:8888"
    assert (settings.webhook_provider_read_timeout, settings.webhook_provider_write_timeout) == (5.0, 10.0)


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        pytest.param({"EXTERNAL_DNS_TXT_OWNER_ID": "cluster-a"}, "txt_owner_id", "cluster-a", id="string"),
        pytest.param({"EXTERNAL_DNS_DRY_RUN": "true"}, "dry_run", True, id="bool true"),
        pytest.param({"EXTERNAL_DNS_EXCLUDE_UNSCHEDULABLE": "false"}, "exclude_unschedulable", False, id="bool false"),
        pytest.param({"EXTERNAL_DNS_RFC2136_PORT": "5353"}, "rfc2136_port", 5353, id="integer"),
        pytest.param({"EXTERNAL_DNS_INTERVAL": "1h30m"}, "interval", 5400.0, id="duration"),
        pytest.param({"EXTERNAL_DNS_DEBOUNCE": "500ms"}, "debounce", 0.5, id="sub-second duration"),
        pytest.param(
            {"EXTERNAL_DNS_DOMAIN_FILTER": "a.example.com,b.example.com"},
            "domain_filter",
            ["a.example.com", "b.example.com"],
            id="repeatable comma separated",
        ),
        pytest.param(
            {"EXTERNAL_DNS_DOMAIN_FILTER": "a.example.com\nb.example.com\n"},
            "domain_filter",
            ["a.example.com", "b.example.com"],
            id="repeatable newline separated as kingpin",
        ),
        pytest.param(
            {"EXTERNAL_DNS_SOURCE": "service,ingress,gateway-httproute"},
            "source",
            ["service", "ingress", "gateway-httproute"],
            id="several sources",
        ),
        pytest.param(
            {"EXTERNAL_DNS_MANAGED_RECORD_TYPES": "A,aaaa,TXT"},
            "managed_record_types",
            [RecordType.A, RecordType.AAAA, RecordType.TXT],
            id="record types any case",
        ),
        pytest.param({"EXTERNAL_DNS_EVENTS_EMIT": "none"}, "events_emit", [], id="events none disables events"),
        pytest.param({"EXTERNAL_DNS_EVENTS_EMIT": "RecordError"}, "events_emit", ["RecordError"], id="one event"),
        pytest.param({"external_dns_txt_prefix": "x-"}, "txt_prefix", "x-", id="env names are case insensitive"),
        pytest.param({"EXTERNAL_DNS_TXT_PREFIX": ""}, "txt_prefix", "", id="empty env var counts as unset"),
        pytest.param({"AWS_REGION": "eu-west-1"}, "aws_region", "eu-west-1", id="aws region from AWS_REGION"),
        pytest.param(
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"},
            "aws_endpoint_url",
            "http://127.0.0.1:5000",
            id="aws endpoint from AWS_ENDPOINT_URL",
        ),
        pytest.param(
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_ROUTE_53": "http://127.0.0.1:2"},
            "aws_endpoint_url",
            "http://127.0.0.1:2",
            id="route53 specific endpoint wins over the generic one",
        ),
        pytest.param(
            {
                "AWS_ENDPOINT_URL_ROUTE_53": "http://127.0.0.1:2",
                "EXTERNAL_DNS_AWS_ENDPOINT_URL": "http://127.0.0.1:3",
            },
            "aws_endpoint_url",
            "http://127.0.0.1:3",
            id="our own env var wins over the AWS ones",
        ),
        pytest.param({"CF_API_EMAIL": "me@example.com"}, "cf_api_email", "me@example.com", id="unprefixed CF env"),
    ],
)
def test_env_values_are_parsed(env: dict[str, str], field: str, expected: object) -> None:
    assert getattr(settings_from_env(**env), field) == expected


def test_flags_override_env_and_env_overrides_defaults() -> None:
    env = {
        **MINIMAL_ENV,
        "EXTERNAL_DNS_TXT_OWNER_ID": "from-env",
        "EXTERNAL_DNS_DOMAIN_FILTER": "env.example",
    }
    env["EXTERNAL_DNS_INTERVAL"] = "2m"
    settings = Settings.load({"txt_owner_id": "from-flag", "domain_filter": ["flag.example"]}, env=env)
    assert settings.txt_owner_id == "from-flag"
    assert settings.domain_filter == ["flag.example"]  # a repeated flag replaces the env list, not extends it
    assert settings.interval == 120.0


def test_settings_read_os_environ_when_no_env_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTERNAL_DNS_SOURCE", "node")
    monkeypatch.setenv("EXTERNAL_DNS_PROVIDER", "inmemory")
    monkeypatch.setenv("EXTERNAL_DNS_TXT_OWNER_ID", "from-os-environ")
    settings = Settings()
    assert (settings.source, settings.txt_owner_id) == (["node"], "from-os-environ")


def test_settings_are_immutable() -> None:
    settings = settings_from_env()
    with pytest.raises(Exception, match="frozen"):
        settings.txt_owner_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param(
            {"rfc2136_port": "abc"},
            '--rfc2136-port: must be an integer between 1 and 65535, got "abc"',
            id="port not a number",
        ),
        pytest.param(
            {"rfc2136_port": "70000"},
            '--rfc2136-port: must be an integer between 1 and 65535, got "70000"',
            id="port out of range",
        ),
        pytest.param(
            {"aws_batch_change_size": "0"},
            '--aws-batch-change-size: must be an integer of at least 1, got "0"',
            id="batch size zero",
        ),
        pytest.param(
            {"cloudflare_dns_records_per_page": "5001"},
            '--cloudflare-dns-records-per-page: must be an integer between 1 and 5000, got "5001"',
            id="cloudflare page size too large",
        ),
        pytest.param({"dry_run": "maybe"}, '--dry-run: must be true or false, got "maybe"', id="bool word"),
        pytest.param(
            {"interval": "1d"},
            '--interval: must be a duration like 500ms, 30s, 1m or 1h30m, got "1d"',
            id="duration with unknown unit",
        ),
        pytest.param({"interval": "0s"}, '--interval: must be longer than 0s, got "0s"', id="zero interval"),
        pytest.param({"debounce": "-1s"}, '--debounce: must be at least 0s, got "-1s"', id="negative debounce"),
        pytest.param(
            {"provider": "designate"},
            "--provider: must be one of inmemory, rfc2136, aws, cloudflare, pdns, webhook, google, azure, "
            'azure-private-dns, got "designate"',
            id="unknown provider names the allowed ones",
        ),
        pytest.param(
            {"source": ["service", "istio-gateway"]},
            "--source: must be one of service, ingress, crd, node, pod, gateway-httproute, gateway-grpcroute, "
            'gateway-tlsroute, gateway-tcproute, gateway-udproute, got "istio-gateway"',
            id="unknown source names the allowed ones",
        ),
        pytest.param(
            {"source": []},
            "--source: required: at least one (one of service, ingress, crd, node, pod, gateway-httproute, "
            "gateway-grpcroute, gateway-tlsroute, gateway-tcproute, gateway-udproute)",
            id="no source at all",
        ),
        pytest.param(
            {"policy": "delete-all"},
            '--policy: must be one of sync, upsert-only, create-only, got "delete-all"',
            id="unknown policy",
        ),
        pytest.param({"registry": "dynamodb"}, '--registry: must be one of txt, noop, got "dynamodb"', id="registry"),
        pytest.param(
            {"log_level": "verbose"},
            '--log-level: must be one of trace, debug, info, warning, error, fatal, panic, got "verbose"',
            id="unknown log level",
        ),
        pytest.param(
            {"managed_record_types": ["A", "SOA"]},
            '--managed-record-types: must be one of A, AAAA, CNAME, NS, MX, PTR, SRV, NAPTR, TXT, DNAME, got "SOA"',
            id="unknown record type",
        ),
        pytest.param(
            {"events_emit": ["RecordReady", "Everything"]},
            '--events-emit: must be one of RecordReady, RecordError, RecordDeleted, got "Everything"',
            id="unknown event",
        ),
        pytest.param(
            {"service_type_filter": ["Headless"]},
            '--service-type-filter: must be one of ClusterIP, NodePort, LoadBalancer, ExternalName, got "Headless"',
            id="unknown service type",
        ),
        pytest.param(
            {"annotation_prefix": "example.com"},
            '--annotation-prefix: must end with "/", got "example.com"',
            id="annotation prefix without slash",
        ),
        pytest.param(
            {"regex_domain_filter": "(unclosed"},
            "--regex-domain-filter: must be a regular expression (missing ), unterminated subpattern at "
            'position 0), got "(unclosed"',
            id="bad regex",
        ),
        pytest.param(
            {"webhook_provider_url": "localhost:8888"},
            '--webhook-provider-url: must be an http:// or https:// URL, got "localhost:8888"',
            id="webhook url without scheme",
        ),
        pytest.param(
            {"aws_zone_tags": ["env"]},
            '--aws-zone-tags: must be key=value, got "env"',
            id="zone tag without value",
        ),
        pytest.param(
            {"aws_zone_type": "shared"},
            '--aws-zone-type: must be one of "", public, private, got "shared"',
            id="unknown zone type",
        ),
        pytest.param(
            {"metrics_address": "7979"},
            '--metrics-address: must be [host]:port, got "7979"',
            id="address no port",
        ),
        pytest.param(
            {"rfc2136_tsig_secret_alg": "hmac-md4"},
            "--rfc2136-tsig-secret-alg: must be one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
            'hmac-sha512, got "hmac-md4"',
            id="unknown tsig algorithm",
        ),
        pytest.param({"rfc2136_tsig_secret": "not base64!"}, "--rfc2136-tsig-secret: must be base64", id="tsig"),
        pytest.param(
            {"txt_encrypt_aes_key": "short"},
            "--txt-encrypt-aes-key: must be 32 bytes, raw or standard base64",
            id="aes key of the wrong length",
        ),
        pytest.param(
            {"txt_prefix": "p-", "txt_suffix": "-s"},
            "--txt-prefix: cannot be used together with --txt-suffix",
            id="txt prefix and suffix are exclusive",
        ),
        pytest.param(
            {"txt_encrypt_enabled": True},
            "--txt-encrypt-enabled: needs --txt-encrypt-aes-key",
            id="encryption without key",
        ),
        pytest.param(
            {"ignore_hostname_annotation": True},
            "--ignore-hostname-annotation: needs --fqdn-template",
            id="ignoring hostnames without template",
        ),
        pytest.param(
            {"provider": "rfc2136", "rfc2136_zone": ["example.com"], "rfc2136_insecure": True},
            "--rfc2136-host: required with --provider=rfc2136",
            id="rfc2136 without host",
        ),
        pytest.param(
            {"provider": "rfc2136", "rfc2136_host": "127.0.0.1", "rfc2136_insecure": True},
            "--rfc2136-zone: required with --provider=rfc2136",
            id="rfc2136 without zone",
        ),
        pytest.param(
            {"provider": "rfc2136", "rfc2136_host": "127.0.0.1", "rfc2136_zone": ["example.com"]},
            "--rfc2136-tsig-keyname: required with --provider=rfc2136 unless --rfc2136-insecure",
            id="rfc2136 without tsig and not insecure",
        ),
        pytest.param({"provider": "pdns"}, "--pdns-api-key: required with --provider=pdns", id="pdns without key"),
        pytest.param(
            {"provider": "cloudflare"},
            "CF_API_TOKEN: required with --provider=cloudflare (or CF_API_KEY and CF_API_EMAIL)",
            id="cloudflare without credentials",
        ),
    ],
)
def test_bad_values_stop_startup_with_one_line_naming_the_flag(flags: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_flags(**flags)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "variable",
    [
        pytest.param("EXTERNAL_DNS_RFC2136_PORT", id="as usual"),
        pytest.param("external_dns_rfc2136_port", id="in lower case, named as written"),
    ],
)
def test_bad_env_value_is_reported_by_the_variable_the_user_set(variable: str) -> None:
    with pytest.raises(ConfigError, match=rf'^{variable}: must be an integer between 1 and 65535, got "x"$'):
        settings_from_env(**{variable: "x"})


def test_bad_value_of_an_env_alias_names_that_alias() -> None:
    with pytest.raises(ConfigError, match=r"^AWS_ENDPOINT_URL: must be an http:// or https:// URL"):
        settings_from_env(AWS_ENDPOINT_URL="ftp://x")


def test_a_bad_flag_is_reported_by_the_flag_even_when_the_env_var_is_set_too() -> None:
    with pytest.raises(ConfigError, match=r"^--rfc2136-port: "):
        Settings.load(
            {"source": ["service"], "provider": "inmemory", "rfc2136_port": "x"}, {"EXTERNAL_DNS_RFC2136_PORT": "5"}
        )


def test_missing_provider_is_reported_with_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"^--provider: required \(one of inmemory, rfc2136, aws,"):
        Settings.load({"source": ["service"]}, env={})


def test_complete_provider_configurations_are_accepted() -> None:
    rfc2136 = settings_from_flags(
        provider="rfc2136",
        rfc2136_host="127.0.0.1",
        rfc2136_zone=["example.com"],
        rfc2136_tsig_keyname="k",
        rfc2136_tsig_secret=TSIG_SECRET,
    )
    assert rfc2136.rfc2136_tsig_secret is not None
    assert rfc2136.rfc2136_tsig_secret.get_secret_value() == TSIG_SECRET
    cloudflare = Settings.load(
        {"source": ["service"], "provider": "cloudflare"},
        env={"CF_API_KEY": "key", "CF_API_EMAIL": "me@example.com"},
    )
    assert cloudflare.cf_api_key is not None
    assert settings_from_flags(provider="webhook").webhook_provider_url == "http://localhost:8888"
    encrypted = settings_from_flags(txt_encrypt_enabled=True, txt_encrypt_aes_key=AES_KEY)
    assert encrypted.txt_encrypt_enabled


SECRETS = {
    "rfc2136_tsig_secret": "dHNpZy1zZWNyZXQtc2VjcmV0",
    "txt_encrypt_aes_key": "0123456789abcdef0123456789abcdef",
    "pdns_api_key": "pdns-key-secret-value",
}


def test_secrets_never_show_in_repr_str_or_redacted() -> None:
    env = {**MINIMAL_ENV, "CF_API_TOKEN": "cf-token-secret-value", "CF_API_KEY": "cf-key-secret-value"}
    settings = Settings.load(SECRETS, env=env)
    shown = repr(settings) + str(settings) + repr(settings.redacted()) + str(settings.model_dump())
    for secret in [*SECRETS.values(), "cf-token-secret-value", "cf-key-secret-value"]:
        assert secret not in shown
    assert settings.redacted()["pdns_api_key"] == "**********"
    assert settings.redacted()["cf_api_token"] == "**********"
    assert settings.pdns_api_key is not None
    assert settings.pdns_api_key.get_secret_value() == "pdns-key-secret-value"


def test_redacted_is_plain_values_for_logging() -> None:
    redacted = settings_from_env(EXTERNAL_DNS_MANAGED_RECORD_TYPES="A,TXT").redacted()
    assert redacted["managed_record_types"] == ["A", "TXT"]
    assert redacted["txt_owner_id"] == "default"
    assert redacted["txt_encrypt_aes_key"] is None
    assert set(redacted) == set(Settings.model_fields)


def test_invalid_secret_is_reported_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_flags(txt_encrypt_aes_key="super-secret-but-too-short")
    assert "super-secret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_file_secrets_are_read_from_the_file(tmp_path: Path) -> None:
    pdns_key = tmp_path / "pdns-key"
    pdns_key.write_text("pdns-from-file\n")
    cf_token = tmp_path / "cf-token"
    cf_token.write_text("cf-token-from-file\n")
    settings = Settings.load(
        {"source": ["service"], "provider": "cloudflare", "pdns_api_key": f"file:{pdns_key}"},
        env={"CF_API_TOKEN": f"file:{cf_token}"},
    )
    assert settings.pdns_api_key is not None and settings.cf_api_token is not None
    assert settings.pdns_api_key.get_secret_value() == "pdns-from-file"
    assert settings.cf_api_token.get_secret_value() == "cf-token-from-file"


def test_unreadable_file_secret_names_the_flag_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match=rf"^--pdns-api-key: cannot read {missing}: No such file"):
        settings_from_flags(pdns_api_key=f"file:{missing}")
    with pytest.raises(ConfigError, match=rf"^CF_API_TOKEN: cannot read {missing}: No such file"):
        Settings.load({"source": ["service"], "provider": "inmemory"}, env={"CF_API_TOKEN": f"file:{missing}"})


@pytest.mark.parametrize(
    ("field", "flag", "envs"),
    [
        ("txt_owner_id", "--txt-owner-id", ["EXTERNAL_DNS_TXT_OWNER_ID"]),
        ("rfc2136_host", "--rfc2136-host", ["EXTERNAL_DNS_RFC2136_HOST"]),
        ("cf_api_token", "CF_API_TOKEN", ["CF_API_TOKEN"]),
        (
            "aws_endpoint_url",
            "--aws-endpoint-url",
            ["EXTERNAL_DNS_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROUTE_53", "AWS_ENDPOINT_URL"],
        ),
    ],
    ids=["prefixed env", "provider flag", "env-only credential", "several env vars by priority"],
)
def test_flag_and_env_names_follow_the_field_name(field: str, flag: str, envs: list[str]) -> None:
    assert flag_name(field) == flag
    assert env_names(field) == envs


def test_dry_run_works_with_every_provider_because_the_reconciler_does_it() -> None:
    """ExternalDNS refuses --dry-run with pdns (its dry run lives in each provider); here nothing is sent at all."""
    settings = Settings.load({"source": ["service"], "provider": "pdns", "pdns_api_key": "k", "dry_run": True}, env={})
    assert settings.dry_run


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param(
            {"target_net_filter": ["10.0.0.1"]},
            '--target-net-filter: must be a network in CIDR form like 10.0.0.0/8, got "10.0.0.1"',
            id="a network needs its prefix length, as Go's ParseCIDR",
        ),
        pytest.param(
            {"exclude_target_net": ["10.0.0.0/33"]},
            '--exclude-target-net: must be a network in CIDR form like 10.0.0.0/8, got "10.0.0.0/33"',
            id="a prefix too long",
        ),
        pytest.param(
            {"min_ttl": "60"},
            '--min-ttl: must be a duration with a unit like 500ms, 30s, 1m or 1h30m, got "60"',
            id="min ttl needs a unit",
        ),
    ],
)
def test_target_filter_and_min_ttl_values_are_checked(flags: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_flags(**flags)
    assert str(caught.value) == message
