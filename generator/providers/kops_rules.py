"""kOps's own rules, generic like kOps's `pkg/apis/kops/validation`: the settings, machines
and access of the model first, then the cloud's rules (`KopsCloud.issues`), then the rules
kOps runs on the documents about to be written, each failure reported at the model field
that produced it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import choice_issues, machine_type_issues, pool_machines
from treeform.providers.kops import (
    BASTION_GROUP,
    CONTROL_PLANE_PREFIX,
    DEFAULT_CNI,
    IMAGES,
    CarveError,
    dns_subdomain_problem,
    reserved_label_problem,
)
from treeform.providers.kops_documents import documents
from treeform.providers.machines import NVIDIA, X86_64, Machine, describe
from treeform.yamlload import FieldPath

if TYPE_CHECKING:
    from treeform.providers.kops_engine import KopsEngine


def validate(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    """Every kOps rule of a cluster: the model's, the cloud's, then the documents'."""
    issues = list(setting_issues(engine, cluster))
    issues.extend(engine.cloud.issues(engine, cluster))
    issues.extend(machine_issues(engine, cluster))
    yield from issues
    # Problems that leave the documents buildable: reported with the CRD check below.
    yield from label_issues(engine, cluster)
    yield from pool_issues(engine, cluster)
    if issues:
        return
    try:
        engine.subnets(cluster)
    except CarveError as exc:
        yield cluster.issue(("network", "cidr"), f"cannot carve the kOps subnets: {exc}")
        return
    docs = documents(engine, cluster)
    crd = list(overlay_issues(engine, cluster, docs))
    yield from crd
    if not crd:
        yield from document_issues(engine, cluster, docs)


def scheme_issues(
    engine: KopsEngine, cluster: Cluster, setting: str, store: str | None, doing: str
) -> Iterator[Issue]:
    """A store (`kops.stateStore`, `kops.discoveryStore`) on another cloud's scheme."""
    scheme = engine.facts.state_scheme + "://"
    if store and not store.startswith(scheme):
        yield cluster.issue(
            ("kops", setting), f"kOps on {cluster.cloud} {doing} {scheme}; {store!r} is not one"
        )


def overlay_issues(
    engine: KopsEngine, cluster: Cluster, docs: list[dict[str, Any]]
) -> Iterator[Issue]:
    """The documents an escape hatch was merged into, checked against kOps's CRDs."""
    from treeform.providers.kops_crd import crd_issues  # loads the schemas on first use

    if engine.cluster_overlay(cluster):
        yield from crd_issues(
            cluster, docs[0], engine.cluster_overlay(cluster), ("kops", "clusterSpec")
        )
    by_name = {g.name: g for g in engine.groups(cluster)}
    for doc in docs[1:]:
        group = by_name[doc["metadata"]["name"]]
        if group.overlay and group.pool is not None:
            yield from crd_issues(
                cluster, doc, group.overlay, ("nodePools", group.pool.name, "kops", "spec")
            )


def setting_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    s = cluster.settings
    store = engine.state_store(cluster)
    if not store:
        yield cluster.issue(
            ("kops", "stateStore"),
            f"kops needs kops.stateStore, the {engine.facts.state_scheme}:// bucket kOps keeps "
            "its cluster specs in",
        )
    yield from scheme_issues(engine, cluster, "stateStore", store, "keeps its state in")
    if not engine.dns_zone(cluster):
        yield cluster.issue(
            ("kops", "dnsZone"),
            "kops needs kops.dnsZone: the cluster is named <name>.<dnsZone> "
            "(kOps cluster names are DNS names)",
        )
    elif engine.dns_zone(cluster).endswith("k8s.local") and engine.dns_type(cluster) != "None":
        yield cluster.issue(
            ("kops", "dnsZone"),
            "gossip DNS (.k8s.local) was removed in kOps 1.37; use a hosted zone, or "
            "kops.dnsType: None",
        )
    if engine.bastion(cluster) and not cluster.network.private:
        yield cluster.issue(
            ("kops", "bastion"),
            "a kOps bastion needs network.topology: private (with a public topology "
            "every node is reachable already)",
        )
    cni = engine.cni(cluster)
    if cni not in engine.facts.cnis:
        yield cluster.issue(
            ("network", "cni"),
            f"kOps on {cluster.cloud} has no CNI {cluster.network.cni!r}; known: "
            f"default ({DEFAULT_CNI}), {', '.join(sorted(engine.facts.cnis))}",
        )
    names = {CONTROL_PLANE_PREFIX + engine.cloud.kops_zone(cluster, z) for z in cluster.zones}
    names |= {BASTION_GROUP}
    for pool in cluster.node_pools:
        if pool in names or pool.startswith(CONTROL_PLANE_PREFIX):
            yield cluster.issue(
                ("nodePools", pool),
                f"node pool name {pool!r} is taken by a kOps control-plane or bastion "
                "instance group; rename the pool",
                key=True,
            )
    yield from access_issues(engine, cluster)
    yield from combination_issues(engine, cluster)
    if s.get("ipv6") and not engine.facts.supports_ipv6:
        yield cluster.issue(
            ("kops", "ipv6"), f"kOps makes IPv6 clusters on AWS only, not on {cluster.cloud}"
        )
    if "nonMasqueradeCidr" in s:
        value = str(s["nonMasqueradeCidr"])
        try:
            ipaddress.IPv4Network(value)
        except ValueError as exc:
            yield cluster.issue(
                ("kops", "nonMasqueradeCidr"), f"{value!r} is not a CIDR block: {exc}"
            )


def machine_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    """Machine types, images and disks; `kops.image` (one image for every group) only
    where every group is of one architecture."""
    kops_catalog = engine.facts.machines.catalog
    if kops_catalog is None:
        return
    catalog = kops_catalog.table
    yield from machine_type_issues(
        cluster,
        catalog.form,
        catalog.form_text,
        catalog=catalog,
        several=kops_catalog.several_types,
    )
    yield from choice_issues(cluster, "image", dict.fromkeys(IMAGES), "node image")
    for setting in ("controlPlaneMachineType", "bastionMachineType"):
        value = cluster.settings.get(setting)
        machine = catalog.machine(str(value)) if value is not None else None
        if isinstance(machine, str):
            yield cluster.issue(("kops", setting), machine)
    found = pool_machines(cluster, catalog)
    for name, types in found.items():
        disk = cluster.node_pools[name].disk_type
        if types and disk is not None and disk not in types[0].disks:
            yield cluster.issue(
                ("nodePools", name, "diskType"),
                f"{types[0].name} cannot boot from {disk}; kOps on "
                f"{engine.facts.provider.upper()} takes {', '.join(types[0].disks)}",
            )
    for name, types in found.items():
        accel = types[0].accelerator if types else None
        if accel is not None and not (accel == NVIDIA and kops_catalog.installs_nvidia):
            yield cluster.issue(
                cluster.node_pools[name].machine_type_path,
                f"{describe(types[0])}: kOps installs accelerator drivers for NVIDIA "
                "GPUs on AWS only (containerd.nvidiaGPU); choose another machine type",
            )
    if not cluster.settings.get("image") and not kops_catalog.detects_architecture:
        for name, types in found.items():
            if types and types[0].arch != X86_64:
                yield cluster.issue(
                    cluster.node_pools[name].machine_type_path,
                    f"{describe(types[0])}: kOps on {engine.facts.provider.upper()} "
                    "gives every group the amd64 channel image (kOps detects the "
                    "architecture on AWS only); an arm64 pool needs kops.image set to an "
                    "arm64 image, with every group arm64 (kops.controlPlaneMachineType too)",
                )
    if cluster.settings.get("image"):
        archs: dict[str, str] = {}
        for group in engine.groups(cluster):
            machine = catalog.machine(group.machine_type)
            if isinstance(machine, Machine):
                archs.setdefault(machine.arch, f"{group.name}: {describe(machine)}")
        if len(archs) > 1:
            yield cluster.issue(
                ("kops", "image"),
                "one image serves one architecture, and these groups differ ("
                + "; ".join(archs.values())
                + "); remove kops.image so that kOps picks each group's image from its "
                "channel",
            )


def access_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    """SSH and API access that would leave what the model asks for unreachable."""
    if (
        engine.bastion(cluster)
        and "sshAccess" not in cluster.settings
        and not cluster.api_server.allowed_cidrs
        and not cluster.api_server.public
    ):
        yield cluster.issue(
            ("kops", "bastion"),
            "the bastion would take SSH only from inside the network (a private API "
            "without apiServer.allowedCidrs gives sshAccess the network's range): set "
            "kops.sshAccess to the ranges that may reach it",
        )
    existing = cluster.network.existing
    if existing is not None and engine.shared_vpc(cluster) and engine.facts.shares_network:
        yield cluster.issue(
            ("kops", "sharedVpc"),
            "kops.sharedVpc creates the network in Terraform; network.existing uses one "
            "that exists: choose one",
        )
    if existing is not None:
        given = (cluster.data.get("network") or {}).get("cidr")
        if existing.cidr is not None and given is not None and given != existing.cidr:
            yield cluster.issue(
                ("network", "existing", "cidr"),
                f"the existing network's range {existing.cidr} differs from network.cidr "
                f"{given}; give it once (network.existing.cidr)",
            )
        if not engine.access_cidrs(cluster):
            yield cluster.issue(
                ("network", "existing"),
                "a private API without apiServer.allowedCidrs is open to the network, "
                "whose range treeform cannot know for an existing network: set "
                "network.existing.cidr or apiServer.allowedCidrs",
            )


def label_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    """Tags kOps reserves, refused at the tag with kOps's rule."""
    sources: list[tuple[FieldPath, Mapping[str, Any]]] = [(("tags",), cluster.tags)]
    for pool in cluster.node_pools:
        labels = engine.pool_settings(cluster, pool).get("cloudLabels") or {}
        sources.append((("nodePools", pool, "kops", "cloudLabels"), labels))
    for path, tags in sources:
        for key in tags:
            for label in engine.cloud.labels_of({key: str(tags[key])}):
                problem = reserved_label_problem(label)
                if problem:
                    yield cluster.issue(
                        (*path, key), f"kOps refuses cloud label {label!r}: {problem}", key=True
                    )


def pool_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    for pool in cluster.node_pools.values():
        if engine.pool_given(cluster, pool.name, "desiredSize") and (
            pool.desired_size != pool.min_size
        ):
            yield cluster.issue(
                ("nodePools", pool.name, "desiredSize"),
                "kOps has no desired size: an instance group starts at minSize and the "
                "cluster autoscaler moves it up to maxSize; remove desiredSize or make it "
                "equal to minSize",
            )


def combination_issues(engine: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
    """kops.controlPlaneCount, egress, discoveryStore and apiLoadBalancer, as kOps
    validates them."""
    count = cluster.settings.get("controlPlaneCount")
    if isinstance(count, int) and cluster.high_availability and count < 3:
        yield cluster.issue(
            ("kops", "controlPlaneCount"),
            f"highAvailability needs 3 or 5 control planes; controlPlaneCount is {count}",
        )
    egress = cluster.settings.get("egress")
    if egress and not cluster.network.private:
        yield cluster.issue(
            ("kops", "egress"),
            "kops.egress is the way out of private subnets: it needs network.topology: private",
        )
    if egress and cluster.network.existing is not None:
        yield cluster.issue(
            ("kops", "egress"),
            "an existing network brings its own egress; kOps does not route it",
        )
    discovery = engine.discovery_store(cluster)
    yield from scheme_issues(
        engine, cluster, "discoveryStore", discovery, "publishes discovery documents to"
    )
    api = engine.api_settings(cluster)
    if api.get("dnsOnly"):
        if not cluster.api_server.public:
            yield cluster.issue(
                ("kops", "apiLoadBalancer", "dnsOnly"),
                "a DNS-only API publishes the control planes' own addresses: it needs "
                "apiServer.public: true (a private API needs a load balancer)",
            )
        if engine.dns_type(cluster) == "None":
            yield cluster.issue(
                ("kops", "apiLoadBalancer", "dnsOnly"),
                "a DNS-only API needs DNS records: kops.dnsType None has none",
            )
        if "class" in api:
            yield cluster.issue(
                ("kops", "apiLoadBalancer", "class"),
                "a DNS-only API has no load balancer to give a class",
            )


def _net(cidr: str | None) -> ipaddress.IPv4Network | None:
    if not cidr:
        return None
    try:
        return ipaddress.IPv4Network(cidr)
    except ValueError:
        return None


def document_issues(
    engine: KopsEngine, cluster: Cluster, docs: list[dict[str, Any]]
) -> Iterator[Issue]:
    """kOps's own rules (`pkg/apis/kops/validation`), run on the documents about to be
    written; each failure is reported at the model field that produced it."""
    spec = docs[0]["spec"]
    groups = {d["metadata"]["name"]: d for d in docs[1:]}
    zones_path: FieldPath = ("zones",) if cluster.zones_given else ("region",)
    ha_path: FieldPath = ("zones",) if cluster.zones_given else ("highAvailability",)

    # metadata.name: a DNS subdomain with a dot (validation.go newValidateCluster).
    name = docs[0]["metadata"]["name"]
    problem = dns_subdomain_problem(name)
    if problem:
        yield cluster.issue(
            ("kops", "dnsZone"), f"cluster name {name!r} is not a valid DNS name: {problem}"
        )
    elif "." not in name:
        yield cluster.issue(("kops", "dnsZone"), f"cluster name {name!r} needs a dot")

    # etcdClusters: members odd and non-empty; every control-plane group in every cluster.
    control_planes = [n for n, d in groups.items() if d["spec"].get("role") == "ControlPlane"]
    for etcd in spec.get("etcdClusters", []):
        members = etcd.get("etcdMembers", [])
        if not members:
            yield cluster.issue(ha_path, f"etcd cluster {etcd['name']!r} has no members")
        elif len(members) % 2 == 0:
            yield cluster.issue(
                ha_path,
                f"kOps needs an odd number of etcd members for quorum; highAvailability puts "
                f"one control plane in each of the {len(members)} zones: use 3 or 5 zones, "
                "or set kops.controlPlaneCount",
            )
        in_etcd = {m.get("instanceGroup") for m in members}
        for cp in control_planes:
            if cp not in in_etcd:
                yield cluster.issue(
                    ha_path, f"control-plane group {cp!r} is not in etcd cluster {etcd['name']!r}"
                )

    # Control-plane groups: minSize = maxSize = 1 (instancegroup.go).
    for cp in control_planes:
        cps = groups[cp]["spec"]
        if cps.get("minSize") != 1 or cps.get("maxSize") != 1:
            yield cluster.issue(ha_path, f"control-plane group {cp!r} must have min=max=1")

    # Subnets: unique names, one region, inside the network, clear of pods and services.
    subnets = [s for s in spec.get("subnets", []) if "name" in s]
    seen: set[str] = set()
    for subnet in subnets:
        if subnet["name"] in seen:
            yield cluster.issue(zones_path, f"kOps subnet name {subnet['name']!r} is repeated")
        seen.add(subnet["name"])
        zone = subnet.get("zone")
        if zone is not None and not zone.startswith(cluster.region):
            yield cluster.issue(
                zones_path,
                f"zone {zone!r} is not in region {cluster.region}: a kOps cluster cannot "
                "span regions",
            )
        region = subnet.get("region")
        if region is not None and region != cluster.region:
            yield cluster.issue(zones_path, "a kOps cluster cannot span regions")
    network = _net(spec.get("networkCIDR"))
    pods = _net(spec.get("podCIDR"))
    services = _net(spec.get("serviceClusterIPRange"))
    networking = spec.get("networking", {})
    amazonvpc = "amazonvpc" in networking or networking.get("cilium", {}).get("ipam") == "eni"
    for subnet in subnets:
        cidr = _net(subnet.get("cidr"))
        if cidr is None:
            continue
        if network is not None and not cidr.subnet_of(network):
            yield cluster.issue(
                ("network", "cidr"),
                f"kOps subnet {subnet['name']!r} {cidr} is not inside networkCIDR {network}",
            )
        if pods is not None and cidr.overlaps(pods) and not amazonvpc:
            yield cluster.issue(
                ("network", "podCidr"),
                f"kOps subnet {subnet['name']!r} {cidr} overlaps podCIDR {pods}",
            )
        if services is not None and cidr.overlaps(services):
            yield cluster.issue(
                ("network", "serviceCidr"),
                f"kOps subnet {subnet['name']!r} {cidr} overlaps serviceClusterIPRange {services}",
            )

    # nonMasqueradeCIDR: apart from the network; holds the pod range.
    nmc_path: FieldPath = (
        ("kops", "nonMasqueradeCidr")
        if "nonMasqueradeCidr" in cluster.settings
        else ("network", "cidr")
    )
    nmc = _net(spec.get("nonMasqueradeCIDR"))
    if nmc is not None and network is not None and nmc.overlaps(network) and not amazonvpc:
        yield cluster.issue(
            nmc_path,
            f"kOps's nonMasqueradeCIDR {nmc} (pods and services) overlaps networkCIDR {network}; "
            "choose a network outside it or set kops.nonMasqueradeCidr",
        )
    if nmc is not None and pods is not None and not pods.subnet_of(nmc):
        yield cluster.issue(
            ("network", "podCidr"),
            f"kOps needs podCIDR {pods} inside nonMasqueradeCIDR {nmc}; choose a pod range "
            "inside it or set kops.nonMasqueradeCidr",
        )

    # An internal API load balancer needs a Private subnet (validation.go).
    if spec.get("api", {}).get("loadBalancer", {}).get("type") == "Internal" and not any(
        s["type"] == "Private" for s in subnets
    ):
        yield cluster.issue(
            ("apiServer", "public"),
            "a private API server (an Internal kOps load balancer) needs Private subnets: "
            "set apiServer.public: true or network.topology: private",
        )

    # InstanceGroups: names are DNS subdomains, subnets exist, sizes ordered, taints unique.
    subnet_names = {s["name"] for s in subnets}
    by_name = {g.name: g for g in engine.groups(cluster)}
    for gname, doc in groups.items():
        source = by_name[gname].source
        problem = dns_subdomain_problem(gname)
        if problem:
            yield cluster.issue(source, f"instance group name {gname!r}: {problem}", key=True)
        gspec = doc["spec"]
        if not gspec.get("subnets"):
            yield cluster.issue(source, f"instance group {gname!r} has no subnets")
        for s in gspec.get("subnets", []):
            if s not in subnet_names:
                yield cluster.issue(source, f"instance group {gname!r} names unknown subnet {s!r}")
        if gspec.get("maxSize", 0) < gspec.get("minSize", 0):
            yield cluster.issue(source, "maxSize must be greater than or equal to minSize")
        taints = gspec.get("taints", [])
        for i, taint in enumerate(taints):
            if taint in taints[:i]:
                yield cluster.issue((*source, "taints", i), f"taint {taint!r} is repeated")
