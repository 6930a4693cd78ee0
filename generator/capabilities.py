"""Which engines honour which model fields: one table, one rule.

A field set on an engine that is not listed for it is an error at the field, naming the
engine, never a silently dropped value. The engines then check only the meaning of the
fields they take (ranges, what else the field needs); whether they take it at all is here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.yamlload import FieldPath

#: Field (a dotted path; `*` any mapping key, `[]` every item of a list) -> the engines
#: that honour it. A field not in this table is every engine's.
HONOURED_BY: dict[str, frozenset[str]] = {
    "addons[].version": frozenset({"eks"}),
    "addons[].configuration": frozenset({"eks"}),
    "nodePools.*.maxPods": frozenset({"eks", "aks", "gke"}),
    "network.existing.controlPlaneSubnetIds": frozenset({"eks"}),
    "gcp.networkProject": frozenset({"gke"}),
    "maintenance": frozenset({"gke", "aks", "doks"}),
    "maintenance.exclusions": frozenset({"gke", "aks"}),
    "access": frozenset({"eks", "aks", "gke"}),
    "access[].namespaces": frozenset({"eks", "aks"}),
    "encryption": frozenset({"eks", "gke", "aks"}),
    "autoprovisioning": frozenset({"eks", "gke"}),
}

#: What to say instead of "does not take it", where there is more to say.
WHY_NOT: dict[tuple[str, str], str] = {
    ("maintenance", "eks"): (
        "EKS has no maintenance windows: AWS patches the control plane when it chooses, and "
        "node groups change only when their version does; remove maintenance"
    ),
    ("autoprovisioning", "aks"): (
        "AKS node auto-provisioning (node_provisioning_profile) is not in the azurerm "
        "provider treeform targets (4.55); use node pools with the cluster autoscaler"
    ),
    ("access[].namespaces", "gke"): (
        "GKE IAM roles hold in every namespace (and every cluster of the project); "
        "namespaces are Kubernetes RBAC, which treeform does not write; remove namespaces"
    ),
}


def _paths(data: Any, pattern: tuple[str, ...], at: FieldPath = ()) -> Iterator[FieldPath]:
    """The paths in `data` that a split pattern names."""
    if not pattern:
        yield at
        return
    head, rest = pattern[0], pattern[1:]
    items = head.endswith("[]")
    key = head[:-2] if items else head
    if not isinstance(data, dict):
        return
    keys = [k for k in data if isinstance(k, str)] if key == "*" else [key]
    for k in keys:
        if k not in data or data[k] is None:
            continue
        value = data[k]
        if items:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from _paths(item, rest, (*at, k, i))
        else:
            yield from _paths(value, rest, (*at, k))


def unhonoured_issues(cluster: Cluster) -> Iterator[Issue]:
    """An issue at every field the cluster's engine does not honour."""
    engine = cluster.engine
    refused: list[str] = []
    for field, engines in HONOURED_BY.items():
        if engine in engines or any(field.startswith((f + ".", f + "[].")) for f in refused):
            continue  # a refused field's own fields need no errors of their own
        refused.append(field)
        for path in _paths(cluster.data, tuple(field.split("."))):
            message = WHY_NOT.get((field, engine))
            if message is None:
                takers = ", ".join(sorted(engines)) or "no engine yet"
                shown = field.replace(".*.", ".<pool>.")
                message = f"engine {engine} does not take {shown} (honoured by: {takers})"
            yield cluster.issue(path, message)
