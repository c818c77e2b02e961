"""Read Kubernetes protobuf request bodies as the JSON objects they stand for.

kubectl's typed commands (`kubectl create namespace|service|deployment|secret|configmap ...`) send built-in
kinds as ``application/vnd.kubernetes.protobuf``, and client-go does not retry as JSON when a server answers
415, so the local API server reads them. The body is Kubernetes' envelope (``k8s\\x00`` then a
``runtime.Unknown`` naming apiVersion and kind, around the object's own message); the field table,
protobuf.json, is generated from Kubernetes' .proto files by tools/k8s_protobuf_schema.py.

Fields are decoded as the JSON the same client would have sent: proto field names are the JSON names;
``IntOrString``, ``Quantity``, ``Time``/``MicroTime``, ``FieldsV1`` and ``RawExtension`` take their JSON forms;
``bytes`` are base64. Empty and zero values are dropped, as the JSON encoder's ``omitempty`` does.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import struct
from collections.abc import Iterator
from importlib import resources as package_resources
from typing import Any

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
ENVELOPE = b"k8s\x00"
UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1"
#: Messages whose JSON form is not an object of their fields.
_SPECIAL = {
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.api.resource.Quantity",
    f"{_META}.Time",
    f"{_META}.MicroTime",
    f"{_META}.FieldsV1",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
}
_SIGNED = {"int32", "int64"}

#: {message: {field number: [json name, type, repeated]}}
Schema = dict[str, dict[str, list[Any]]]


class ProtobufError(ValueError):
    """A body that is not a Kubernetes protobuf object this server knows."""


@functools.cache
def schema() -> Schema:
    text = package_resources.files("external_dns.testing").joinpath("protobuf.json").read_text()
    loaded: Schema = json.loads(text)
    return loaded


def message_of(api_version: str, kind: str) -> str:
    """The message of a built-in kind: k8s.io/api/<first label of the group, or core>/<version>/<kind>."""
    group, _, version = api_version.rpartition("/")
    return f"k8s.io.api.{group.split('.')[0] or 'core'}.{version}.{kind}"


def decode_object(body: bytes) -> dict[str, Any]:
    """The JSON object of an enveloped protobuf body, with its apiVersion and kind."""
    if not body.startswith(ENVELOPE):
        raise ProtobufError("the body does not start with the Kubernetes protobuf envelope (k8s\\x00)")
    unknown = _decode_message(body[len(ENVELOPE) :], UNKNOWN)
    type_meta = unknown.get("typeMeta", {})
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    message = message_of(api_version, kind)
    if message not in schema():
        raise ProtobufError(f"no protobuf schema for {api_version} {kind}")
    raw = base64.b64decode(unknown.get("raw", ""))
    return {"apiVersion": api_version, "kind": kind, **_decode_message(raw, message)}


def _decode_message(data: bytes, message: str) -> dict[str, Any]:
    fields = schema()[message]
    result: dict[str, Any] = {}
    for number, wire_type, value in _fields(data):
        spec = fields.get(str(number))
        if spec is None:
            continue  # a field newer than our table: a real server of that age would not know it either
        name, type_name, repeated = spec
        if type_name.startswith("map:"):
            entry = _map_entry(value, type_name.removeprefix("map:"))
            result.setdefault(name, {}).update([entry])
            continue
        if repeated and wire_type == 2 and type_name in _SIGNED | {"bool", "double", "float"}:
            result.setdefault(name, []).extend(_packed(value, type_name))  # type: ignore[arg-type]
            continue
        decoded = _value(value, wire_type, type_name)
        if repeated:
            result.setdefault(name, []).append(decoded)
        else:
            result[name] = decoded
    return {key: value for key, value in result.items() if not _empty(value)}


def _empty(value: Any) -> bool:
    """What Go's JSON encoder leaves out under ``omitempty``. Protobuf sends every non-pointer field, zero or not,
    so a zero number or false here is dropped too (an explicit ``replicas: 0`` reads as unset, the default)."""
    return value is None or (not isinstance(value, dict | list) and not value) or value in ([], {})


def _value(value: int | bytes, wire_type: int, type_name: str) -> Any:
    if type_name == "string":
        return _bytes(value).decode()
    if type_name == "bytes":
        return base64.b64encode(_bytes(value)).decode()
    if type_name == "bool":
        return bool(value)
    if type_name in _SIGNED:
        number = int(value)  # type: ignore[arg-type]
        return number - (1 << 64) if number >= 1 << 63 else number
    if type_name in ("double", "float"):
        return struct.unpack("<d" if wire_type == 1 else "<f", _bytes(value))[0]
    if type_name in ("uint32", "uint64", "fixed64"):
        return int(value) if isinstance(value, int) else int.from_bytes(value, "little")
    decoded = _decode_message(_bytes(value), type_name)
    return _special(decoded, type_name) if type_name in _SPECIAL else decoded


def _special(decoded: dict[str, Any], type_name: str) -> Any:
    short = type_name.rsplit(".", 1)[-1]
    if short == "IntOrString":
        return decoded.get("strVal", "") if decoded.get("type") == 1 else decoded.get("intVal", 0)
    if short == "Quantity":
        return decoded.get("string")
    if short in ("Time", "MicroTime"):
        if not decoded:
            return None
        moment = datetime.datetime.fromtimestamp(decoded.get("seconds", 0), datetime.UTC)
        if short == "Time":
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{decoded.get('nanos', 0) // 1000:06d}Z"
    raw = base64.b64decode(decoded.get("Raw") or decoded.get("raw") or "")  # FieldsV1, RawExtension
    return json.loads(raw) if raw else None


def _map_entry(value: int | bytes, value_type: str) -> tuple[str, Any]:
    key, item = "", _value(b"", 2, value_type)
    for number, wire_type, field in _fields(_bytes(value)):
        if number == 1:
            key = _bytes(field).decode()
        elif number == 2:
            item = _value(field, wire_type, value_type)
    return key, item


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, varint value or raw bytes) of each field, in order."""
    position = 0
    while position < len(data):
        tag, position = _varint(data, position)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value, position = _varint(data, position)
            yield number, wire_type, value
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ProtobufError("a length-delimited field runs past the end of the body")
            yield number, wire_type, data[position : position + length]
            position += length
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            yield number, wire_type, data[position : position + size]
            position += size
        else:
            raise ProtobufError(f"unsupported protobuf wire type {wire_type}")


def _packed(value: int | bytes, type_name: str) -> list[Any]:
    data, position, items = _bytes(value), 0, []
    while position < len(data):
        if type_name in ("double", "float"):
            size = 8 if type_name == "double" else 4
            items.append(struct.unpack("<d" if size == 8 else "<f", data[position : position + size])[0])
            position += size
        else:
            number, position = _varint(data, position)
            items.append(_value(number, 0, type_name))
    return items


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if position >= len(data):
            raise ProtobufError("the body ends inside a varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def _bytes(value: int | bytes) -> bytes:
    if isinstance(value, int):
        raise ProtobufError("a varint where a length-delimited field was expected")
    return value
