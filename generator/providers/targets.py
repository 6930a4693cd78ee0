"""Output targets, the second axis beside the engines: a Terraform root module, kOps
manifests, an eksctl ClusterConfig, Kubernetes manifests to apply in the running cluster.

Each target is a small renderer registered in `TARGETS`, the one table; an engine names the
targets it renders (`Engine.targets`), and `render_cluster` merges the files of the wanted
ones. A new output format is a new target here and a name in the engines that offer it,
not a change to an engine's core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from treeform.model import Cluster
from treeform.providers.aws.eksctl import eksctl_files
from treeform.providers.base import Engine
from treeform.providers.kops_documents import kops_documents
from treeform.providers.kops_engine import KopsEngine
from treeform.render import Renderer


class Target(Protocol):
    """One kind of output."""

    name: str

    def wanted(self, cluster: Cluster) -> bool:
        """Whether the cluster asks for this output (of an engine that offers it)."""
        ...

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        """The target's files, by their path under the cluster's output directory."""
        ...


@dataclass
class EngineTarget:
    """A target the engine renders itself, by a method `method(cluster, renderer)`:
    `render_terraform` (`terraform/`, the root module: every managed engine, and kOps's
    network and state) or `kubernetes_manifests` (manifests to apply in the running
    cluster: Karpenter's NodePool on EKS, the IKS autoscaler's ConfigMap; maybe none)."""

    name: str
    method: str

    def wanted(self, cluster: Cluster) -> bool:
        return True

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        method = getattr(engine, self.method, None)
        if method is None:
            raise TypeError(
                f"engine {engine.name} names target {self.name} but has no {self.method}"
            )
        files: dict[str, str] = method(cluster, renderer)
        return files


class KopsTarget:
    """`kops/cluster.yaml`: the Cluster and InstanceGroup documents of a kOps engine, once
    they can be written (a shared AWS VPC waits for its ids)."""

    name = "kops"

    def wanted(self, cluster: Cluster) -> bool:
        return True

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if not isinstance(engine, KopsEngine):
            raise TypeError(f"engine {engine.name} names target kops but is no kOps engine")
        return kops_documents(engine, cluster)


class EksctlTarget:
    """`eksctl/cluster.yaml`: the ClusterConfig of an EKS cluster, with `eks.eksctl: true`."""

    name = "eksctl"

    def wanted(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("eksctl"))

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        return eksctl_files(cluster)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        EngineTarget("terraform", "render_terraform"),
        KopsTarget(),
        EksctlTarget(),
        EngineTarget("kubernetes", "kubernetes_manifests"),
    )
}


def render_cluster(engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
    """Every file of a cluster, relative to its output directory: the files of each target
    the engine names and the cluster wants, in the engine's order."""
    files: dict[str, str] = {}
    for name in engine.targets:
        target = TARGETS[name]
        if not target.wanted(cluster):
            continue
        rendered = target.render(engine, cluster, renderer)
        taken = sorted(files.keys() & rendered.keys())
        if taken:  # two targets of one engine write one path: a bug, never a silent loss
            raise ValueError(f"target {name} of {engine.name} rewrites {', '.join(taken)}")
        files.update(rendered)
    return files
