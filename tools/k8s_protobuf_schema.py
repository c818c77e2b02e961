"""Write operator/external_dns/testing/protobuf.json: the field table the local API server decodes protobuf with.

kubectl sends built-in kinds as protobuf (`kubectl create namespace|service|deployment ...`) and client-go does
not fall back to JSON on 415, so the local API server reads protobuf for the built-in kinds it serves. This tool
turns Kubernetes' own .proto files into a field table (message -> field number -> JSON name, type, repeated):

    python tools/k8s_protobuf_schema.py PROTO_ROOT

PROTO_ROOT holds `api/<group>/<version>/generated.proto` from github.com/kubernetes/api and
`apimachinery/pkg/.../generated.proto` from github.com/kubernetes/apimachinery. Only messages reachable from
the built-in kinds in resources.json are kept.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTING = ROOT / "operator" / "external_dns" / "testing"
SCALARS = {"string", "bool", "bytes", "int32", "int64", "double", "float", "uint32", "uint64", "fixed64"}
FIELD = re.compile(r"^\s*(optional|repeated)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_FIELD = re.compile(r"^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def parse(path: Path) -> dict[str, dict[str, list[object]]]:
    """{fully qualified message: {field number: [json name, type, repeated]}} of one .proto file."""
    text = path.read_text()
    package = re.search(r"^package ([\w.]+);", text, re.M)
    assert package is not None, path
    messages: dict[str, dict[str, list[object]]] = {}
    current: dict[str, list[object]] | None = None
    for line in text.splitlines():
        if (start := re.match(r"^message (\w+) \{", line)) is not None:
            current = messages.setdefault(f"{package[1]}.{start[1]}", {})
        elif line.startswith("}"):
            current = None
        elif current is not None and (found := MAP_FIELD.match(line)) is not None:
            current[found[4]] = [found[3], f"map:{qualify(found[2], package[1])}", False]
        elif current is not None and (found := FIELD.match(line)) is not None:
            current[found[4]] = [found[3], qualify(found[2], package[1]), found[1] == "repeated"]
    return messages


def qualify(type_name: str, package: str) -> str:
    if type_name in SCALARS:
        return type_name
    return type_name.lstrip(".") if type_name.startswith(".") else f"{package}.{type_name}"


def message_of(group: str, version: str, kind: str) -> str:
    """The protobuf message of a built-in kind: k8s.io/api/<first label of the group, or core>/<version>."""
    return f"k8s.io.api.{group.split('.')[0] or 'core'}.{version}.{kind}"


def main(proto_root: Path) -> None:
    every: dict[str, dict[str, list[object]]] = {}
    for path in sorted(proto_root.rglob("generated.proto")):
        every.update(parse(path))
    declared = json.loads((TESTING / "resources.json").read_text())
    roots = [message_of(d["group"], d["version"], d["kind"]) for d in declared]
    pending = [root for root in roots if root in every] + ["k8s.io.apimachinery.pkg.runtime.Unknown"]
    kept: dict[str, dict[str, list[object]]] = {}
    while pending:
        name = pending.pop()
        if name in kept:
            continue
        kept[name] = every[name]
        for _, type_name, _ in every[name].values():
            target = str(type_name).removeprefix("map:")
            if target not in SCALARS and target not in kept:
                pending.append(target)
    out = TESTING / "protobuf.json"
    out.write_text(json.dumps(dict(sorted(kept.items())), separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{out}: {len(kept)} messages")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
