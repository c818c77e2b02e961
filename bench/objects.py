"""The objects the benchmarks create: LoadBalancer Services or Pods, minimal or as a real API server returns them.

A minimal object is what the issue's first figures used (~0.5 KB of JSON). A real cluster's objects are larger:
kubectl's managedFields, a Service's clusterIPs and policies, a Pod's containers, volumes, tolerations and
container statuses. ``realistic=True`` adds those, so memory figures say what a real cluster would cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
INTERNAL_HOSTNAME = "external-dns.alpha.kubernetes.io/internal-hostname"

MANAGED_FIELDS = [
    {
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-11-30T10:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:annotations": {".": {}, f"f:{HOSTNAME}": {}}, "f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:ports": {".": {}, 'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}},
        },
    },
    {
        "manager": "cloud-controller-manager",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-11-30T10:00:05Z",
        "fieldsType": "FieldsV1",
        "subresource": "status",
        "fieldsV1": {"f:status": {"f:loadBalancer": {"f:ingress": {}}}},
    },
]


@dataclass(frozen=True, slots=True)
class ObjectShape:
    """Which kind of object, and whether it looks like a real cluster's."""

    kind: str = "service"
    realistic: bool = False

    @property
    def plural(self) -> str:
        return "pods" if self.kind == "pod" else "services"

    @property
    def collection(self) -> str:
        return f"/api/v1/namespaces/default/{self.plural}"

    def name_of(self, index: int) -> str:
        return f"{'pod' if self.kind == 'pod' else 'svc'}-{index:05d}"

    def body(self, name: str, zone: str) -> dict[str, Any]:
        if self.kind == "pod":
            return self._pod(name, zone)
        body: dict[str, Any] = {
            "metadata": {"name": name, "annotations": {HOSTNAME: f"{name}.{zone}"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
        }
        if self.realistic:
            body["metadata"] |= {"labels": {"app": name, "team": "bench"}, "managedFields": MANAGED_FIELDS}
            body["spec"] |= {
                "selector": {"app": name},
                "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31080}],
                "sessionAffinity": "None",
                "externalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "allocateLoadBalancerNodePorts": True,
                "internalTrafficPolicy": "Cluster",
            }
        return body

    def seed_object(self, name: str, zone: str, ip: str) -> dict[str, Any]:
        """The whole object as a seed file holds it: kind, namespace and status (with a Pod's kubelet extras)."""
        body = self.body(name, zone)
        status = self.status(ip)["status"] | self.realistic_status_extra()
        kind = "Pod" if self.kind == "pod" else "Service"
        metadata = body["metadata"] | {"namespace": "default"}
        return {"apiVersion": "v1", "kind": kind, **body, "metadata": metadata, "status": status}

    def status(self, ip: str) -> dict[str, Any]:
        if self.kind == "pod":
            return {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}
        return {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}

    def _pod(self, name: str, zone: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "metadata": {"name": name, "annotations": {INTERNAL_HOSTNAME: f"{name}.{zone}"}},
            # host network: --ignore-non-host-network-pods defaults to true, as in ExternalDNS
            "spec": {"hostNetwork": True, "containers": [{"name": "app", "image": "registry.example/app:1"}]},
        }
        if not self.realistic:
            return body
        body["metadata"] |= {
            "labels": {"app": "bench", "pod-template-hash": "5d8f7c9b6"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "bench-5d8f7c9b6",
                                 "uid": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "controller": True}],
            "managedFields": MANAGED_FIELDS,
        }  # fmt: skip
        body["spec"] = {
            "hostNetwork": True,
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example/team/app:1.2.3",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": f"SETTING_{i}", "value": f"value-{i}"} for i in range(8)],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                    "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io"}],
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                    "terminationMessagePath": "/dev/termination-log",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "volumes": [
                {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}
            ],
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
            ],
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
        }
        return body

    def realistic_status_extra(self) -> dict[str, Any]:
        """What a kubelet adds to a Pod's status besides its IPs (container statuses, conditions)."""
        if self.kind != "pod" or not self.realistic:
            return {}
        return {
            "hostIP": "10.0.0.5",
            "conditions": [{"type": t, "status": "True"} for t in ("Initialized", "Ready", "ContainersReady")],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "image": "registry.example/team/app:1.2.3",
                    "imageID": "registry.example/team/app@sha256:" + "0" * 64,
                    "containerID": "containerd://" + "f" * 64,
                    "state": {"running": {"startedAt": "2026-11-30T10:00:10Z"}},
                }
            ],
        }
