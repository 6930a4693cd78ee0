"""Network carving: every range treeform cuts from a cluster's `network.cidr`.

One function per layout. Each is deterministic (the same range and zones give the same
subnets on every run, so a plan never moves a subnet) and says which ranges it gives a /16.
A layout that gives every zone subnets of its own has room for a fixed number of zones;
more is an error at `zones` naming the engine and the cap (`zone_cap_issues` for the
managed engines, `carve_issue` for kOps), never a silent drop.

Each layout, the engines that use it, what it gives a /16, and the zones it holds:

- `zonal_eighths` (EKS, ACK, TKE, IKS): per zone a /19 and a /22; at most 7 zones.
- `kops_subnets` (kOps on AWS; kOps on Azure: one subnet, the whole range): three private
  zones get /18 node subnets and /21 Utility subnets; at most 8 zones public, 7 private.
- `kops_ipv6_subnets` (kOps on AWS with `kops.ipv6`): three private zones get /19
  dual-stack and /22 Utility subnets, every subnet an IPv6 /64; at most 8 public, 7 private.
- `gke_ranges` (GKE): nodes /19, services /19, pods /17; one regional subnetwork.
- `aks_subnets` (AKS): nodes /17, virtual nodes /19; Azure subnets span the zones.
- `cce_subnets` (CCE): nodes /19, ENI (pods) /18; Huawei subnets span the zones.
- `oke_subnets` (OKE): workers /17, load balancers /18, API endpoint /28; regional subnets.

kOps on GCE gives its one regional subnetwork the whole range (`GcpKopsEngine.subnets`);
DOKS joins a VPC, which has no subnets. The engine pages (`docs/engines/*.md`) name the
layout each engine uses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, Network
from treeform.providers.common import engine_name


class CarveError(ValueError):
    """A network range that cannot hold a layout."""


class ZoneCapError(CarveError):
    """More zones than a layout has room for."""

    def __init__(self, layout: str, cap: int, zones: int, why: str) -> None:
        super().__init__(f"{layout} holds at most {cap} zones ({why}), not {zones}")
        self.layout = layout
        self.cap = cap
        self.zones = zones
        self.why = why


def _check_cap(layout: str, cap: int, zones: Sequence[str], why: str) -> None:
    if len(zones) > cap:
        raise ZoneCapError(layout, cap, len(zones), why)


def carve_issue(cluster: Cluster, exc: CarveError, *, or_existing: bool = False) -> Issue:
    """A carving failure as an error at the field to change: a zone cap at `zones` (or the
    `region` whose zones the cluster took), anything else at `network.cidr`. `or_existing`:
    the engine carves nothing in an existing network, so the message offers one."""
    engine = engine_name(cluster)
    if isinstance(exc, ZoneCapError):
        return cluster.issue(
            "zones" if cluster.zones_given else "region",
            f"{engine} carves subnets for at most {exc.cap} zones ({exc.why}); the cluster "
            f"has {exc.zones}: name at most {exc.cap} zones"
            + (", or run it in an existing network (network.existing)" if or_existing else ""),
        )
    return cluster.issue(("network", "cidr"), f"cannot carve the {engine} subnets: {exc}")


def zone_cap_issues(
    cluster: Cluster, layout: Callable[[str, tuple[str, ...]], object]
) -> Iterator[Issue]:
    """The zone cap of `layout` (a per-zone layout such as `zonal_eighths`) for a network
    treeform creates; an existing network (`network.existing`) is carved by no one."""
    if cluster.network.existing is not None:
        return
    try:
        layout(cluster.network.cidr, cluster.zones)
    except CarveError as exc:
        yield carve_issue(cluster, exc, or_existing=True)
    except ValueError:
        return  # a malformed range: the shared CIDR rules report it


# --- EKS, ACK, TKE, IKS ------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSubnets:
    """The two ranges of one zone: a large one (nodes, or pods) and a small one (load
    balancers and NAT gateways, or Terway / VPC-CNI nodes)."""

    zone: str
    private: str
    public: str


#: Seven eighths for the zones' large ranges, the eighth eighth for their small ones.
ZONAL_EIGHTHS_MAX_ZONES = 7


def zonal_eighths(cidr: str, zones: tuple[str, ...]) -> list[ZoneSubnets]:
    """Subnets per zone, in the zones' order: the range is cut in eight; zone i gets the
    i-th eighth as its private (large) subnet, and the last eighth is cut in eight again for
    the public (small) subnets. A /16 gives each zone a /19 (10.0.0.0/19, 10.0.32.0/19, ...)
    and a /22 (10.0.224.0/22, 10.0.228.0/22, ...). At most seven zones
    (`ZONAL_EIGHTHS_MAX_ZONES`): the eighth eighth holds the small ranges."""
    return list(_zonal_eighths(cidr, tuple(zones)))


@lru_cache(maxsize=1024)  # many clusters share a network range and zones
def _zonal_eighths(cidr: str, zones: tuple[str, ...]) -> tuple[ZoneSubnets, ...]:
    _check_cap(
        "zonal_eighths",
        ZONAL_EIGHTHS_MAX_ZONES,
        zones,
        "each zone takes an eighth of network.cidr, and the last eighth holds the zones' "
        "small ranges",
    )
    net = ipaddress.IPv4Network(cidr)
    eighths = list(net.subnets(prefixlen_diff=3))
    public = list(eighths[7].subnets(prefixlen_diff=3))
    return tuple(ZoneSubnets(zone, str(eighths[i]), str(public[i])) for i, zone in enumerate(zones))


# --- kOps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    """One entry of a kOps `spec.subnets`."""

    name: str
    type: str  # Public | Private | Utility | DualStack
    zone: str | None = None
    region: str | None = None
    cidr: str | None = None
    id: str | None = None
    ipv6_cidr: str | None = None

    def doc(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cidr is not None:
            out["cidr"] = self.cidr
        if self.id is not None:
            out["id"] = self.id
        if self.ipv6_cidr is not None:
            out["ipv6CIDR"] = self.ipv6_cidr
        out["name"] = self.name
        if self.region is not None:
            out["region"] = self.region
        out["type"] = self.type
        if self.zone is not None:
            out["zone"] = self.zone
        return out


#: kOps splits the range in at most eight (`SplitInto1/2/4/8`).
KOPS_SLOTS = 8


def kops_max_zones(private: bool) -> int:
    """The zones `kops create cluster`'s layout holds: a slot each, and with a private
    topology the first slot for the Utility subnets."""
    return KOPS_SLOTS - 1 if private else KOPS_SLOTS


def _kops_why(private: bool) -> str:
    return (
        "kops create cluster splits network.cidr in at most eight and keeps the first part "
        "for the Utility subnets"
        if private
        else "kops create cluster splits network.cidr in at most eight"
    )


def _split(net: ipaddress.IPv4Network, count: int) -> list[ipaddress.IPv4Network]:
    """kOps's SplitInto1/2/4/8: the smallest power-of-two split with `count` pieces."""
    for bits in range(4):
        if count <= 1 << bits:
            if net.prefixlen + bits > 32:
                break
            return list(net.subnets(prefixlen_diff=bits))
    if count > KOPS_SLOTS:
        raise CarveError(f"{net} cannot be split for {count} subnets (kOps splits in at most 8)")
    raise CarveError(f"{net} is too small to split in {count}")


def kops_subnets(cidr: str, zones: tuple[str, ...], private: bool) -> list[Subnet]:
    """Subnets per zone, carved as `kops create cluster` carves them (`assignCIDRsToSubnets`).

    One node subnet per zone (Public or Private, named after the zone), and for a private
    topology one Utility subnet per zone (`utility-<zone>`, for load balancers and NAT
    gateways). The network range is split into the smallest power of two (1, 2, 4 or 8)
    that holds every node subnet plus one more slot when there are Utility subnets; node
    subnets take the slots in zone order after that first slot, and the first slot is cut
    in eight for the Utility subnets. A /16 with three private zones gives /18 node
    subnets at .64, .128 and .192 and /21 Utility subnets at .0, .8 and .16; with three
    public zones, /18s at .0, .64 and .128. One zone and a public topology (kOps on Azure,
    one regional subnet): the whole range. At most `kops_max_zones(private)` zones.
    """
    return list(_kops_subnets(cidr, tuple(zones), private))


@lru_cache(maxsize=1024)  # many clusters share a network range and zones
def _kops_subnets(cidr: str, zones: tuple[str, ...], private: bool) -> tuple[Subnet, ...]:
    _check_cap("kops_subnets", kops_max_zones(private), zones, _kops_why(private))
    net = ipaddress.IPv4Network(cidr)
    ordered = sorted(zones)
    node_type = "Private" if private else "Public"
    slots = _split(net, len(ordered) + (1 if private else 0))
    out: list[Subnet] = []
    utility: list[Subnet] = []
    if private:
        little = list(slots[0].subnets(prefixlen_diff=3))
        slots = slots[1:]
        utility = [
            Subnet(f"utility-{z}", "Utility", zone=z, cidr=str(little[i]))
            for i, z in enumerate(ordered)
        ]
    for i, zone in enumerate(ordered):
        out.append(Subnet(zone, node_type, zone=zone, cidr=str(slots[i])))
    by_zone = {s.zone: s for s in out}
    util_by_zone = {s.zone: s for s in utility}
    # The spec lists them in the model's zone order, node subnets first, as kOps does.
    return tuple(
        [by_zone[z] for z in zones] + [util_by_zone[z] for z in zones if z in util_by_zone]
    )


def kops_ipv6_subnets(cidr: str, zones: tuple[str, ...], private: bool) -> list[Subnet]:
    """Subnets of `kops create cluster --ipv6` (`setupTopology`, `assignCIDRsToSubnets`).

    Public: the IPv4 carving, each subnet also given an IPv6 /64 of the VPC's range. Private:
    per zone an IPv6-only Private subnet (the nodes), a `dualstack-<zone>` subnet (control
    planes, bastion) and a Utility subnet; the range is split as kOps splits it (the
    IPv6-only subnets count but take no slot), Utility subnets in the first slot cut in
    eight, dual-stack subnets in the next slots in zone order: a /16 with three zones gives
    /19 dual-stack subnets at .32, .64 and .96 and /22 Utility subnets at .0, .4 and .8.
    Every subnet gets `ipv6CIDR: /64#<n>`, n its place in the spec. At most
    `kops_max_zones(private)` zones.
    """
    if not private:
        out = kops_subnets(cidr, zones, False)
    else:
        _check_cap("kops_ipv6_subnets", kops_max_zones(True), zones, _kops_why(True))
        net = ipaddress.IPv4Network(cidr)
        count = 2 * len(zones) + 1
        pieces = 1 if count <= 1 else 2 if count <= 2 else 4 if count <= 4 else 8
        if len(zones) + 1 > pieces or net.prefixlen + pieces.bit_length() - 1 > 32:
            raise CarveError(f"{net} cannot hold the IPv6 layout of {len(zones)} zones")
        slots = list(net.subnets(prefixlen_diff=pieces.bit_length() - 1))
        little = list(slots[0].subnets(prefixlen_diff=3))
        ordered = sorted(zones)
        dual = {z: str(slots[1 + i]) for i, z in enumerate(ordered)}
        util = {z: str(little[i]) for i, z in enumerate(ordered)}
        out = (
            [Subnet(z, "Private", zone=z) for z in zones]
            + [Subnet(f"dualstack-{z}", "DualStack", zone=z, cidr=dual[z]) for z in zones]
            + [Subnet(f"utility-{z}", "Utility", zone=z, cidr=util[z]) for z in zones]
        )
    return [
        Subnet(s.name, s.type, s.zone, s.region, s.cidr, s.id, f"/64#{i:x}")
        for i, s in enumerate(out)
    ]


# --- GKE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpRanges:
    """The subnetwork ranges of a cluster: nodes (primary), pods and services (secondary)."""

    nodes: str
    pods: str
    services: str


def gke_ranges(network: Network) -> IpRanges:
    """The ranges of GKE's one regional subnetwork (a VPC-native cluster), from the
    model's `network` block.

    The network range is cut in eight: the first eighth is the node subnet, the second
    eighth the services range (unless `serviceCidr`), and the upper half the pods range
    (unless `podCidr`). The third and fourth eighths stay free for proxy-only or Private
    Service Connect subnets. A /16 gives nodes a /19, services a /19 and pods a /17
    (room for 128 nodes at 110 pods each). No zone cap: the subnetwork serves every zone.
    """
    net = ipaddress.IPv4Network(network.cidr)
    eighths = list(net.subnets(prefixlen_diff=3))
    upper = list(net.subnets(prefixlen_diff=1))[1]
    return IpRanges(
        nodes=str(eighths[0]),
        services=network.service_cidr or str(eighths[1]),
        pods=network.pod_cidr or str(upper),
    )


# --- AKS ---------------------------------------------------------------------------------


def aks_subnets(cidr: str) -> dict[str, str]:
    """The VNet's subnets: nodes get the first half (a /17 of a /16), virtual nodes (ACI)
    the fifth eighth (a /19, the first of the upper half). No zone cap: Azure subnets span
    the region's zones."""
    net = ipaddress.IPv4Network(cidr)
    half = list(net.subnets(prefixlen_diff=1))
    eighths = list(net.subnets(prefixlen_diff=3))
    return {"nodes": str(half[0]), "virtual_nodes": str(eighths[4])}


# --- CCE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CceSubnets:
    """The VPC's subnets and their gateways (Huawei subnets take the first address)."""

    nodes: str
    nodes_gateway: str
    eni: str
    eni_gateway: str


def cce_subnets(cidr: str) -> CceSubnets:
    """The nodes get the first eighth of the VPC (a /19 of a /16); CCE Turbo pods take
    addresses from an ENI subnet, the second quarter (a /18: 10.0.64.0/18). No zone cap:
    Huawei subnets serve every zone of the region."""
    net = ipaddress.IPv4Network(cidr)
    nodes = next(net.subnets(prefixlen_diff=3))
    eni = list(net.subnets(prefixlen_diff=2))[1]
    return CceSubnets(
        nodes=str(nodes),
        nodes_gateway=str(nodes.network_address + 1),
        eni=str(eni),
        eni_gateway=str(eni.network_address + 1),
    )


# --- OKE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OkeSubnets:
    """The VCN's regional subnets."""

    workers: str
    lbs: str
    api: str


def oke_subnets(cidr: str) -> OkeSubnets:
    """Workers get the first half of the VCN (a /17 of a /16), load balancers the third
    quarter (a /18), the API endpoint the first /28 of the last quarter (10.0.192.0/28; the
    whole quarter where it is smaller than a /28). No zone cap: OCI subnets are regional."""
    net = ipaddress.IPv4Network(cidr)
    workers, rest = net.subnets(prefixlen_diff=1)
    lbs, last = rest.subnets(prefixlen_diff=1)
    api = next(last.subnets(new_prefix=max(28, last.prefixlen)))
    return OkeSubnets(workers=str(workers), lbs=str(lbs), api=str(api))
