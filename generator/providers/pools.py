"""What every engine's templates read of a node pool, in one place: `pool_context` holds the
keys all engines share (an engine adds its own, or replaces one where it writes the value
its own way), and `taints` is the one taint formatter, with each cloud's spelling of the
effects as data (`TaintStyle`). A new pool field is one edit here plus the templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from treeform.model import NodePool, Taint
from treeform.providers.common import tf_id

#: The taint effects of the model, as Kubernetes spells them.
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True)
class TaintStyle:
    """How one cloud writes a taint: its names for the effects, and whether it takes a
    mapping (`{key, value, effect}`) or kubelet's text (`key=value:Effect`)."""

    effects: Mapping[str, str] = field(default_factory=lambda: {e: e for e in EFFECTS})
    #: kubelet's `--register-with-taints` form: `key=value:Effect`, or `key:Effect`.
    text: bool = False
    #: Whether a mapping keeps `value` when it is empty (eksctl leaves it out).
    empty_value: bool = True

    def format(self, taint: Taint) -> Any:
        effect = self.effects[taint.effect]
        if self.text:
            return f"{taint.key}={taint.value}:{effect}" if taint.value else f"{taint.key}:{effect}"
        if taint.value or self.empty_value:
            return {"key": taint.key, "value": taint.value, "effect": effect}
        return {"key": taint.key, "effect": effect}


#: Kubernetes' own spelling, as mappings (DOKS, ACK, TKE, CCE, IKS).
KUBERNETES = TaintStyle()
#: The EKS and GKE APIs' constants: NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE.
API_CONSTANTS = TaintStyle(
    effects={
        "NoSchedule": "NO_SCHEDULE",
        "PreferNoSchedule": "PREFER_NO_SCHEDULE",
        "NoExecute": "NO_EXECUTE",
    }
)
#: kubelet's text form (AKS node_taints, OKE's kubelet flag, kOps InstanceGroup taints).
KUBELET = TaintStyle(text=True)
#: eksctl's node group taints: mappings without an empty value.
EKSCTL = TaintStyle(empty_value=False)


def taints(pool: NodePool, style: TaintStyle = KUBERNETES) -> list[Any]:
    """The pool's taints in a cloud's spelling, in the model's order."""
    return [style.format(t) for t in pool.taints]


def pool_context(pool: NodePool, *, taint_style: TaintStyle = KUBERNETES) -> dict[str, Any]:
    """The keys every engine's pool shares; an engine extends (or replaces) them."""
    return {
        "name": pool.name,
        "tf_id": tf_id(pool.name),
        "machine_type": pool.machine_type,
        "machine_types": list(pool.machine_types),
        "min_size": pool.min_size,
        "max_size": pool.max_size,
        "desired_size": pool.desired_size,
        "autoscale": pool.min_size < pool.max_size,
        "disk_size_gb": pool.disk_size_gb,
        "spot": pool.spot,
        "zones": list(pool.zones),
        "labels": pool.labels,
        "taints": taints(pool, taint_style),
        "max_pods": pool.max_pods,
        "kubernetes_version": pool.kubernetes_version,
    }
