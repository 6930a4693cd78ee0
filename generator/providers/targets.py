"""Output targets, the second axis beside the engines: a Terraform root module, kOps
manifests, an eksctl ClusterConfig, Kubernetes manifests to apply in the running cluster.

Each target is a small renderer registered in `TARGETS`, the one table; an engine names the
targets it renders (`Engine.targets`), and `render_cluster` merges the files of the wanted
ones. A new output format is a new target here and a name in the engines that offer it,
not a change to an engine's core.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from treeform.model import Cluster
from treeform.providers.aws.eksctl import eksctl_files
from treeform.providers.base import Engine
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


@runtime_checkable
class RendersTerraform(Protocol):
    def render_terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]: ...


@runtime_checkable
class RendersKops(Protocol):
    def manifest_ready(self, cluster: Cluster) -> bool: ...

    def manifest(self, cluster: Cluster) -> str: ...


@runtime_checkable
class RendersKubernetes(Protocol):
    def kubernetes_manifests(self, cluster: Cluster) -> dict[str, str]: ...


def _unrendered(engine: Engine, target: str) -> TypeError:
    return TypeError(f"engine {engine.name} names target {target} but does not render it")


class TerraformTarget:
    """`terraform/`: the root module (every managed engine; kOps's network and state)."""

    name = "terraform"

    def wanted(self, cluster: Cluster) -> bool:
        return True

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if not isinstance(engine, RendersTerraform):
            raise _unrendered(engine, self.name)
        return engine.render_terraform(cluster, renderer)


class KopsTarget:
    """`kops/cluster.yaml`: the Cluster and InstanceGroup documents, once they can be
    written (a shared AWS VPC waits for its ids)."""

    name = "kops"

    def wanted(self, cluster: Cluster) -> bool:
        return True

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if not isinstance(engine, RendersKops):
            raise _unrendered(engine, self.name)
        return (
            {"kops/cluster.yaml": engine.manifest(cluster)}
            if engine.manifest_ready(cluster)
            else {}
        )


class EksctlTarget:
    """`eksctl/cluster.yaml`: the ClusterConfig of an EKS cluster, with `eks.eksctl: true`."""

    name = "eksctl"

    def wanted(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("eksctl"))

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        return eksctl_files(cluster)


class KubernetesTarget:
    """Manifests to apply in the running cluster (Karpenter's NodePool on EKS, the IKS
    cluster autoscaler's ConfigMap): what the engine has for this cluster, maybe nothing."""

    name = "kubernetes"

    def wanted(self, cluster: Cluster) -> bool:
        return True

    def render(self, engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if not isinstance(engine, RendersKubernetes):
            raise _unrendered(engine, self.name)
        return engine.kubernetes_manifests(cluster)


TARGETS: dict[str, Target] = {
    t.name: t for t in (TerraformTarget(), KopsTarget(), EksctlTarget(), KubernetesTarget())
}


def render_cluster(engine: Engine, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
    """Every file of a cluster, relative to its output directory: the files of each target
    the engine names and the cluster wants, in the engine's order."""
    files: dict[str, str] = {}
    for name in engine.targets:
        target = TARGETS[name]
        if target.wanted(cluster):
            files.update(target.render(engine, cluster, renderer))
    return files
