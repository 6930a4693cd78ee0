"""What a cloud supplies to kOps: the `KopsCloud` protocol that `aws/kops.py`, `gcp/kops.py`
and `azure/kops.py` satisfy, and the records it is made of.

Like kOps's `pkg/model/<cloud>model/`, a cloud holds only what differs: its facts as data
(`KopsFacts`: its networking choices, machine defaults and table, the Terraform it makes)
and a few answers about a cluster (its subnets, the cloud fields of the Cluster and
InstanceGroup documents, its own rules, its templates' context). What a cloud does not
have, it says in its type: no machine table is `catalog=None`, no OIDC discovery fields is
`discovery=None`, no load balancer class is `load_balancer_class=None`, and a manifest
that has to wait is the optional protocol `DeferredManifest`. What every cloud shares is
`KopsEngine` (`kops_engine.py`), which the cloud's answers receive as `kops`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.base import Example
from treeform.providers.kops import ADDONS_COMMON, CNI_COMMON, Group, Subnet
from treeform.providers.machines import Catalog

if TYPE_CHECKING:
    from treeform.providers.kops_engine import KopsEngine


@dataclass(frozen=True)
class KopsCatalog:
    """A cloud's machine table as kOps uses it."""

    table: Catalog
    #: kOps's own root volume type on this cloud (its `DefaultVolumeType`).
    root_volume: str
    #: Whether an instance group takes several machine types (a mixed instances policy).
    several_types: bool = False
    #: Whether kOps asks this cloud for a machine type's architecture to pick the channel
    #: image (kOps's MachineArchitecture knows AWS only; elsewhere every group is amd64).
    detects_architecture: bool = False
    #: Whether kOps installs NVIDIA drivers on this cloud's GPU instances (nvidiaGPU).
    installs_nvidia: bool = False


@dataclass(frozen=True)
class KopsMachines:
    """A cloud's machine defaults, and the table its machine types are checked against."""

    #: What `kops create cluster` picks for the control planes and the bastion.
    control_plane: str
    bastion: str
    #: The machine table, or None where treeform has none for kOps on this cloud (machine
    #: types, disks and images then go to kOps unchecked).
    catalog: KopsCatalog | None


@dataclass(frozen=True)
class KopsDiscovery:
    """What a discovery store (`kops.discoveryStore`) adds on a cloud that offers one."""

    #: Added to `spec.serviceAccountIssuerDiscovery` beside the store.
    issuer: Mapping[str, Any] = field(default_factory=dict)
    #: Added to `spec.iam`.
    iam: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KopsTerraform:
    """The Terraform a cloud makes before `kops create`: its template folder and providers."""

    template_dir: str
    providers: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class KopsFacts:
    """What a cloud is to kOps, as data; the defaults are what most clouds have."""

    #: `spec.cloudProvider`: aws | gce | azure.
    provider: str
    #: The scheme of the state store (and discovery store) URL: s3 | gs | azureblob.
    state_scheme: str
    machines: KopsMachines
    terraform: KopsTerraform
    #: A region and machine type for `treeform new`.
    example: Example
    #: Model CNI name -> the `spec.networking` block on this cloud.
    cnis: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: CNI_COMMON)
    #: Model addon -> the cluster-spec field that turns it on.
    addon_fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: ADDONS_COMMON)
    #: `spec.topology.dns.type` when the model names none.
    default_dns_type: str = "Public"
    #: kOps makes IPv6 clusters on AWS only ("IPv6 support is available only on AWS").
    supports_ipv6: bool = False
    #: Whether Terraform can make the network kOps then shares (`kops.sharedVpc`).
    shares_network: bool = False
    #: Whether the cloud takes `spec.networkCIDR`.
    takes_network_cidr: bool = True
    #: `spec.api.loadBalancer.class` when the model names none, or None where kOps takes
    #: no class on this cloud.
    load_balancer_class: str | None = None
    #: etcd member fields the cloud sets unless `kops.etcd` says otherwise.
    etcd_member_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: What a discovery store adds, or None where the cloud takes it as it is.
    discovery: KopsDiscovery | None = None


class KopsCloud(Protocol):
    """One cloud kOps runs on: its facts, and what it answers about a cluster."""

    facts: KopsFacts

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        """A model zone as kOps names it (Azure: `<location>-<n>`)."""
        ...

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Model tags as this cloud's labels (GCE converts them)."""
        ...

    def subnets(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        """`spec.subnets` (raises `CarveError` where the range cannot be carved)."""
        ...

    def cluster_fields(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        """The cloud's fields of the Cluster spec: its network (`networkCIDR`, `networkID`,
        ...) and the rest; they win over the shared ones."""
        ...

    def group_fields(self, kops: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
        """The cloud's fields of an InstanceGroup spec."""
        ...

    def issues(self, kops: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
        """The cloud's rules (kOps's per-cloud validation), each at the model field."""
        ...

    def terraform_context(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        """The cloud's part of its templates' context, merged into the shared `cluster`,
        `state` (`create`, `bucket`, `url`) and `network` (`create`); called only where
        Terraform has something to make before `kops create`."""
        ...


@runtime_checkable
class DeferredManifest(Protocol):
    """A cloud whose manifest can wait for Terraform (AWS: a shared VPC's ids)."""

    def manifest_ready(self, kops: KopsEngine, cluster: Cluster) -> bool:
        """Whether the manifest can be written yet."""
        ...
