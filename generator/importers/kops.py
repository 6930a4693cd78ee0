"""`treeform import kops`: a model file from kOps `Cluster` and `InstanceGroup` documents
(`kops get cluster NAME -o yaml` and `kops get ig -o yaml`, one file or several).

The model fields come from the documents (name and DNS zone, cloud, region and zones,
version, network, topology, CNI, API access, node pools, bastion, addons, tags, state
store); what the generated documents then still lack goes into kOps's escape hatch
(`kops.clusterSpec`, `nodePools.<p>.kops.spec`) where the model has it. What neither can
say (control-plane and bastion groups beyond their machine type, document names) is
reported at the input's FILE:LINE.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Any

from treeform.errors import Issue, ModelError
from treeform.importers.common import (
    MISSING,
    OWNED_COMMON,
    Allowed,
    Place,
    Source,
    check_document,
    listed,
    mapping,
    merge_patch,
    with_additions,
)
from treeform.providers import PROVIDERS
from treeform.providers.kops import (
    CLUSTER_LABEL,
    CONTROL_PLANE_PREFIX,
    GROUP_LABEL,
    NEEDS_CERT_MANAGER,
    kops_kubernetes_version,
)
from treeform.providers.kops_engine import KopsEngine

TOOL = "kOps"
OUTPUT = "kops/cluster.yaml"
API_VERSIONS = {
    "Cluster": ("kops.k8s.io/v1alpha2",),
    "InstanceGroup": ("kops.k8s.io/v1alpha2",),
}
#: kOps cloudProvider -> treeform cloud (where this treeform runs kOps on it).
KOPS_CLOUDS = {"aws": "aws", "gce": "gcp", "azure": "azure"}


def kops_clouds() -> dict[str, str]:
    return {
        kops: cloud
        for kops, cloud in KOPS_CLOUDS.items()
        if cloud in PROVIDERS and "kops" in PROVIDERS[cloud].engines
    }


#: Top-level model fields an import states in full (inherited ones are nulled if unsaid).
OWNED = (*OWNED_COMMON, "kops")
#: Model fields the importer leaves to the escape hatch (or the report) when the model
#: refuses the input's value there (an IPv6 range, a label kOps takes and the model not).
DROPPABLE: tuple[tuple[str, ...], ...] = (
    ("apiServer", "allowedCidrs"),
    ("nodePools", "*", "labels"),
    ("nodePools", "*", "taints"),
    ("nodePools", "*", "diskSizeGb"),
    ("nodePools", "*", "zones"),
    ("tags",),
    ("addons",),
    ("network", "cidr"),
    ("network", "podCidr"),
    ("network", "serviceCidr"),
    ("network", "cni"),
    ("network", "existing", "cidr"),
    ("network", "existing", "additionalCidrs"),
    ("network", "existing"),
    ("kops", "image"),
    ("kops", "channel"),
    ("kops", "nonMasqueradeCidr"),
    ("kops", "bastionMachineType"),
    ("kops", "controlPlaneMachineType"),
    ("kops", "sshAccess"),
    ("kops", "controlPlaneCount"),
    ("kops", "apiLoadBalancer"),
    ("kops", "roles"),
)
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TAINT = re.compile(r"([^=:]+)(?:=([^:]*))?:([A-Za-z]+)\Z")
_AWS_ZONE = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]\Z")
_GCE_ZONE = re.compile(r"([a-z]+-[a-z]+\d+)-[a-z]\Z")
_VERSION = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)(-[0-9A-Za-z.-]+)?\Z")
_POOL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")

#: The documented differences between a kOps manifest and what treeform generates from its
#: import. Everything else that differs goes into the escape hatch or is reported.
ALLOWED = (
    Allowed(
        "*",
        ("metadata", "creationTimestamp"),
        "ignored",
        "kOps stamps a document when it stores it; `kops replace` keeps the stored one",
    ),
    Allowed(
        "InstanceGroup",
        ("spec", "role"),
        "alias",
        "kOps reads `Master` as `ControlPlane` (the role's name since kOps 1.26)",
        lambda theirs, ours: {theirs, ours} <= {"Master", "ControlPlane"},
    ),
    Allowed(
        "InstanceGroup",
        ("metadata", "labels"),
        "added",
        "kOps labels every group with its cluster when it stores it",
    ),
    Allowed(
        "InstanceGroup",
        ("metadata", "labels", CLUSTER_LABEL),
        "added",
        "kOps labels every group with its cluster when it stores it",
    ),
    Allowed(
        "InstanceGroup",
        ("spec", "nodeLabels"),
        "added",
        "kOps labels each node with its group itself; treeform writes the label as "
        "`kops create cluster` does",
    ),
    Allowed(
        "InstanceGroup",
        ("spec", "nodeLabels", GROUP_LABEL),
        "added",
        "kOps labels each node with its group itself; treeform writes the label as "
        "`kops create cluster` does",
    ),
    Allowed(
        "InstanceGroup",
        ("spec", "instanceMetadata"),
        "added",
        "treeform's secure default: IMDSv2 only, one hop (pods cannot borrow the node's role)",
    ),
    Allowed(
        "InstanceGroup",
        ("spec", "rootVolumeEncryption"),
        "added",
        "treeform's secure default: encrypted root volumes",
    ),
    Allowed(
        "Cluster",
        ("spec", "kubelet"),
        "added",
        "treeform's secure default: no anonymous requests to the kubelet",
    ),
    Allowed(
        "Cluster",
        ("spec", "kubelet", "anonymousAuth"),
        "added",
        "treeform's secure default: no anonymous requests to the kubelet",
    ),
    Allowed(
        "Cluster",
        ("spec", "authorization"),
        "added",
        "treeform's secure default: RBAC (kOps reads an absent authorization as AlwaysAllow)",
    ),
    Allowed(
        "Cluster",
        ("spec", "iam"),
        "added",
        "what `kops create cluster` writes: scoped (non-legacy) IAM, nodes may pull from ECR",
    ),
    Allowed(
        "Cluster",
        ("spec", "iam", "allowContainerRegistry"),
        "added",
        "what `kops create cluster` writes: nodes may pull from the cloud's registry",
    ),
    Allowed(
        "Cluster",
        ("spec", "iam", "legacy"),
        "added",
        "false is kOps's default (the scoped IAM policies)",
    ),
    Allowed(
        "Cluster",
        ("spec", "etcdClusters", "*", "etcdMembers", "*", "encryptedVolume"),
        "added",
        "treeform's secure default: encrypted etcd volumes",
    ),
    Allowed(
        "Cluster",
        ("spec", "etcdClusters", "*", "manager"),
        "added",
        "treeform keeps etcd backups 90 days, as `kops create cluster` does",
    ),
    Allowed(
        "Cluster",
        ("spec", "etcdClusters", "*", "manager", "backupRetentionDays"),
        "added",
        "treeform keeps etcd backups 90 days, as `kops create cluster` does",
    ),
    Allowed(
        "Cluster",
        ("spec", "etcdClusters", "*", "cpuRequest"),
        "added",
        "the etcd requests `kops create cluster` writes",
    ),
    Allowed(
        "Cluster",
        ("spec", "etcdClusters", "*", "memoryRequest"),
        "added",
        "the etcd requests `kops create cluster` writes",
    ),
    Allowed(
        "Cluster",
        ("spec", "topology"),
        "added",
        "kOps's default DNS type is Public; treeform writes it",
    ),
    Allowed(
        "Cluster",
        ("spec", "topology", "dns"),
        "added",
        "kOps's default DNS type is Public; treeform writes it",
    ),
    Allowed(
        "Cluster",
        ("spec", "api"),
        "alias",
        "kOps reads an absent `api` of a public topology as DNS records of the control planes "
        "(v1alpha2 SetDefaults_ClusterSpec)",
        lambda theirs, ours: theirs is MISSING and ours == {"dns": {}},
    ),
    Allowed(
        "Cluster",
        ("spec", "dnsZone"),
        "added",
        "kOps finds the hosted zone from the cluster name when dnsZone is absent; treeform "
        "names it",
    ),
)


#: What to add to the report of a field the model cannot express, by the field's path.
HINTS: dict[tuple[str, ...], str] = {
    ("metadata", "name"): "treeform names control planes control-plane-<zone> and the "
    "bastion group bastions",
}


def _cloud_provider(spec: dict[str, Any]) -> str | None:
    value = spec.get("cloudProvider")
    if isinstance(value, dict) and len(value) == 1:  # kOps 1.2x: `cloudProvider: {aws: {}}`
        value = next(iter(value))
    return value if isinstance(value, str) else None


def _azure_zone(zone: str, region: str) -> str:
    return zone.removeprefix(f"{region}-")


def _cni_of(networking: Any, cnis: Any) -> str:
    """The model's CNI for a kOps `spec.networking`: the one whose block is the input's,
    else one whose options the input has (cilium-eni is cilium with `ipam: eni`), else the
    first of that name; `default` where none fits (the escape hatch says the rest)."""
    if not isinstance(networking, dict) or len(networking) != 1:
        return "default"
    key, options = next(iter(networking.items()))
    named = [(cni, block[key]) for cni, block in cnis.items() if block and next(iter(block)) == key]
    for cni, block_options in named:
        if block_options == options:
            return str(cni)
    fitting = [
        (len(b), cni)
        for cni, b in named
        if isinstance(b, dict)
        and isinstance(options, dict)
        and all(options.get(k) == v for k, v in b.items())
    ]
    if fitting:
        return str(max(fitting)[1])
    return str(named[0][0]) if named else "default"


def _region_of(zone: str, cloud: str) -> str | None:
    match = (_AWS_ZONE if cloud == "aws" else _GCE_ZONE).match(zone)
    return match.group(1) if match else None


class Extraction:
    """The model read from one set of kOps documents, and what it could not say."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.notes: list[Issue] = []
        #: input instance-group name -> the name treeform gives that group (`name_groups`)
        self.renames: dict[str, str] = {}
        self.control_planes: list[Source] = []
        self.bastions: list[Source] = []
        self.subnet_zone: dict[str, Any] = {}
        self.region = ""
        #: pool name -> the input group it comes from
        self.pools: dict[str, str] = {}
        self.cluster, self.groups = self._documents()
        self.cluster_name = self.cluster.data["metadata"]["name"]

    # --- reading ------------------------------------------------------------------------
    def _documents(self) -> tuple[Source, list[Source]]:
        problems: list[Issue] = []
        clusters: list[Source] = []
        groups: list[Source] = []
        extras: list[Source] = []
        for source in self.sources:
            version = mapping(source.data).get("apiVersion")
            if isinstance(version, str) and "/" in version and not version.startswith("kops."):
                extras.append(source)  # an additional object kOps applies with the cluster
                continue
            problem = check_document(source, API_VERSIONS, TOOL)
            if problem is not None:
                problems.append(problem)
                continue
            if not isinstance(source.data.get("spec"), dict):
                problems.append(source.issue(("spec",), "the document has no spec mapping"))
                continue
            (clusters if source.data["kind"] == "Cluster" else groups).append(source)
        if problems:
            raise ModelError(problems)
        if clusters:
            for extra in extras:
                self.note(
                    extra,
                    ("kind",),
                    f"a {mapping(extra.data).get('kind')!r} that kOps applies with the cluster "
                    "(additional objects) has no model field",
                )
        elif extras:
            raise ModelError(
                [
                    check_document(extras[0], API_VERSIONS, TOOL)
                    or extras[0].issue(("kind",), "not a kOps document")
                ]
            )
        if len(clusters) != 1:
            where = clusters[1] if clusters else self.sources[0]
            raise ModelError(
                [
                    where.issue(
                        ("kind",),
                        f"an import reads exactly one kOps Cluster, not {len(clusters)} "
                        "(one cluster per model file)",
                    )
                ]
            )
        cluster = clusters[0]
        name = cluster.data["metadata"]["name"]
        seen: dict[str, Source] = {}
        for group in groups:
            gname = group.data["metadata"]["name"]
            if gname in seen:
                problems.append(
                    group.issue(("metadata", "name"), f"instance group {gname!r} is repeated")
                )
            seen[gname] = group
            labels = group.data["metadata"].get("labels")
            owner = labels.get(CLUSTER_LABEL) if isinstance(labels, dict) else None
            if owner is not None and owner != name:
                problems.append(
                    group.issue(
                        ("metadata", "labels", CLUSTER_LABEL),
                        f"instance group {gname!r} belongs to cluster {owner!r}, not {name!r}",
                    )
                )
        if problems:
            raise ModelError(problems)
        return cluster, groups

    def all_sources(self) -> list[Source]:
        return [self.cluster, *self.groups]

    def note(self, source: Source, path: tuple[str | int, ...], message: str) -> None:
        self.notes.append(source.issue(path, message))

    # --- the model ----------------------------------------------------------------------
    def model(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.cluster.data["spec"]
        src = self.cluster
        provider = _cloud_provider(spec)
        clouds = kops_clouds()
        cloud = clouds.get(provider or "")
        if cloud is None:
            raise ModelError(
                [
                    src.issue(
                        ("spec", "cloudProvider"),
                        f"kOps cloud {provider!r} is not one treeform runs kOps on; it runs "
                        f"kOps on {', '.join(sorted(clouds))}",
                    )
                ]
            )
        self.cloud = cloud
        engine = PROVIDERS[cloud].engines["kops"]
        assert isinstance(engine, KopsEngine)
        self.engine = engine
        model: dict[str, Any] = {}
        settings: dict[str, Any] = {}

        # Name and DNS zone: kOps names a cluster <name>.<dnsZone>.
        full = self.cluster_name
        zone = spec.get("dnsZone")
        if isinstance(zone, str) and full.endswith("." + zone.rstrip(".")):
            dns_zone = zone.rstrip(".")
        elif "." in full:
            dns_zone = full.split(".", 1)[1]
        else:
            raise ModelError(
                [src.issue(("metadata", "name"), f"kOps cluster name {full!r} has no dot")]
            )
        name = full[: -len(dns_zone) - 1]
        if not _POOL.match(name) or len(name) > 63:
            raise ModelError(
                [
                    src.issue(
                        ("metadata", "name"),
                        f"treeform names a kOps cluster <name>.<dnsZone>; {name!r} (before "
                        f"the DNS zone {dns_zone!r}) is not a DNS label",
                    )
                ]
            )
        model["name"] = name
        model["cloud"] = cloud
        model["engine"] = "kops"

        subnets = [s for s in listed(spec.get("subnets")) if isinstance(s, dict)]
        cps = [g for g in self.groups if g.data["spec"].get("role") in ("Master", "ControlPlane")]
        bastions = [g for g in self.groups if g.data["spec"].get("role") == "Bastion"]
        nodes = [g for g in self.groups if g.data["spec"].get("role") == "Node"]
        for g in self.groups:
            if g not in cps and g not in bastions and g not in nodes:
                self.note(
                    g,
                    ("spec", "role"),
                    f"instance group role {g.data['spec'].get('role')!r} has no model field",
                )

        # Region and zones.
        subnet_zone = {str(s.get("name")): s.get("zone") for s in subnets}
        zones: list[str] = []
        if cloud == "aws":
            for s in subnets:
                if s.get("type") != "Utility" and isinstance(s.get("zone"), str):
                    if s["zone"] not in zones:
                        zones.append(s["zone"])
        else:
            for g in [*cps, *nodes, *bastions]:
                for z in listed(g.data["spec"].get("zones")):
                    if isinstance(z, str) and z not in zones:
                        zones.append(z)
        region = None
        regions = [s.get("region") for s in subnets if isinstance(s.get("region"), str)]
        if regions:
            region = regions[0]
        elif zones:
            region = _region_of(zones[0], cloud)
        if region is None:
            raise ModelError(
                [src.issue(("spec", "subnets"), "no zone or region in the cluster's subnets")]
            )
        model["region"] = region
        if cloud == "azure":  # kOps names Azure zones <location>-<n>; the model names <n>
            zones = [_azure_zone(z, region) for z in zones]
        self.region = region
        if zones:
            model["zones"] = zones

        # Version: a minor where the channel's patch is the one named.
        version = spec.get("kubernetesVersion")
        match = _VERSION.match(str(version)) if isinstance(version, str) else None
        if match is None:
            raise ModelError(
                [
                    src.issue(
                        ("spec", "kubernetesVersion"),
                        f"kubernetesVersion {version!r} is not a Kubernetes version such as "
                        "v1.34.5",
                    )
                ]
            )
        full_version = match.group(1)
        minor = ".".join(full_version.split(".")[:2])
        model["kubernetesVersion"] = (
            minor if kops_kubernetes_version(minor) == "v" + full_version else full_version
        )
        # The control plane survives a zone's loss with groups in three zones or more (a
        # pre-release version is left to the escape hatch: the model names releases).
        cp_zones = {z for g in cps for z in self._group_zones(g, subnet_zone)}
        model["highAvailability"] = len(cps) > 1 and len(cp_zones) >= engine.ha_min_zones

        # Network.
        network: dict[str, Any] = {}
        if cloud in ("aws", "azure") and isinstance(spec.get("networkCIDR"), str):
            network["cidr"] = spec["networkCIDR"]
        elif cloud == "gcp" and subnets and isinstance(subnets[0].get("cidr"), str):
            network["cidr"] = subnets[0]["cidr"]
        if isinstance(spec.get("podCIDR"), str):
            network["podCidr"] = spec["podCIDR"]
        if isinstance(spec.get("serviceClusterIPRange"), str):
            network["serviceCidr"] = spec["serviceClusterIPRange"]
        private = any(s.get("type") == "Private" for s in subnets)
        network["topology"] = "private" if private else "public"
        networking = spec.get("networking")
        network["cni"] = _cni_of(networking, engine.facts.cnis)
        if cloud == "aws" and isinstance(spec.get("networkID"), str):
            ids = [s.get("id") for s in subnets]
            if ids and all(isinstance(i, str) for i in ids):
                order = [s for s in subnets if s.get("type") != "Utility"] + [
                    s for s in subnets if s.get("type") == "Utility"
                ]
                existing: dict[str, Any] = {
                    "networkId": spec["networkID"],
                    "subnetIds": [s["id"] for s in order],
                }
                cidr = network.pop("cidr", None)  # the VPC's: kOps reads it from AWS
                known = _existing_fields()
                if "cidr" in known and isinstance(cidr, str):
                    existing["cidr"] = cidr
                more = spec.get("additionalNetworkCIDRs")
                if "additionalCidrs" in known and isinstance(more, list) and more:
                    existing["additionalCidrs"] = [str(c) for c in more]
                network["existing"] = existing
        model["network"] = network

        # API server.
        api = mapping(spec.get("api"))
        lb = api.get("loadBalancer") if isinstance(api.get("loadBalancer"), dict) else None
        api_server: dict[str, Any] = {"public": not (lb and lb.get("type") == "Internal")}
        access = spec.get("kubernetesApiAccess")
        if isinstance(access, list) and all(isinstance(a, str) for a in access):
            api_server["allowedCidrs"] = list(access)
        model["apiServer"] = api_server
        if has_setting("apiLoadBalancer"):
            balancer: dict[str, Any] = {}
            if lb is None and (isinstance(api.get("dns"), dict) or (not api and not private)):
                # kOps reads an empty `api` of a public topology as DNS (SetDefaults).
                balancer["dnsOnly"] = True
            elif lb is not None and lb.get("class") in ("Network", "Classic"):
                balancer["class"] = lb["class"]
            if balancer:
                settings["apiLoadBalancer"] = balancer
        ssh = spec.get("sshAccess")
        if has_setting("sshAccess") and isinstance(ssh, list):
            if all(isinstance(a, str) for a in ssh):
                settings["sshAccess"] = list(ssh)
        ha_count = len(zones) if model["highAvailability"] else 1
        if has_setting("controlPlaneCount") and len(cps) in (1, 3, 5) and len(cps) != ha_count:
            settings["controlPlaneCount"] = len(cps)

        # Control plane, bastion, node pools.
        self.control_planes = cps
        self.bastions = bastions
        self.subnet_zone = subnet_zone
        cp_types = Counter(str(g.data["spec"].get("machineType")) for g in cps)
        if cp_types:
            settings["controlPlaneMachineType"] = cp_types.most_common(1)[0][0]
        if bastions:
            settings["bastion"] = True
            b = bastions[0]
            if isinstance(b.data["spec"].get("machineType"), str):
                settings["bastionMachineType"] = b.data["spec"]["machineType"]
            for extra in bastions[1:]:
                self.note(extra, ("metadata", "name"), "treeform writes one bastion group")
        roles = self._roles({"controlPlane": cps, "bastion": bastions})
        if roles:
            settings["roles"] = roles
        images = Counter(
            g.data["spec"]["image"]
            for g in self.groups
            if isinstance(g.data["spec"].get("image"), str)
        )
        if images:
            settings["image"] = images.most_common(1)[0][0]
        pools: dict[str, Any] = {}
        for g in nodes:
            pool = self._pool(g, subnet_zone, zones)
            if pool is not None:
                pools[g.data["metadata"]["name"]] = pool
                self.pools[g.data["metadata"]["name"]] = g.data["metadata"]["name"]
        if pools:
            model["nodePools"] = pools

        # Addons kOps runs itself.
        addons = []
        for addon, path in engine.facts.addon_fields.items():
            node: Any = spec
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and node.get("enabled") is True:
                addons.append(addon)
        if "cert-manager" in addons and set(addons) & NEEDS_CERT_MANAGER:
            addons.remove("cert-manager")  # the model turns it on with these
        if addons:
            model["addons"] = sorted(addons)
        labels = spec.get("cloudLabels")
        if isinstance(labels, dict) and labels:
            model["tags"] = {str(k): str(v) for k, v in labels.items()}

        # Engine settings.
        base = spec.get("configBase")
        scheme = engine.facts.state_scheme
        if isinstance(base, str) and base.endswith("/" + full):
            store = base[: -len(full) - 1]
        elif isinstance(base, str):
            store = base.rsplit("/", 1)[0] if "/" in base.split("://", 1)[-1] else base
        else:
            store = ""
        if store and not store.startswith(scheme + "://"):
            self.note(
                src,
                ("spec", "configBase"),
                f"state store {store!r} is not an {scheme}:// bucket; kops.stateStore is set to "
                f"the same path on {scheme}:// and the escape hatch keeps configBase",
            )
            store = scheme + "://" + store.split("://", 1)[-1]
        if not store:
            self.note(src, ("spec", "configBase"), "no configBase: kops.stateStore is not known")
            store = f"{scheme}://CHANGE-ME"
        settings["stateStore"] = store
        # An adopted cluster's state store exists already: Terraform must not create it.
        settings["stateStoreExternal"] = True
        settings["dnsZone"] = dns_zone
        topology = mapping(spec.get("topology"))
        dns = mapping(topology.get("dns"))
        if dns.get("type") in ("Public", "Private", "None"):
            settings["dnsType"] = dns["type"]
        if isinstance(spec.get("channel"), str):
            settings["channel"] = spec["channel"]
        nmc = spec.get("nonMasqueradeCIDR")
        if isinstance(nmc, str):
            try:
                ipaddress.IPv4Network(nmc)
                settings["nonMasqueradeCidr"] = nmc
            except ValueError:
                pass  # IPv6 (`::/0`): the escape hatch carries it
        first = ("stateStore", "stateStoreExternal", "dnsZone", "dnsType", "channel")
        model["kops"] = {
            **{k: settings[k] for k in first if k in settings},
            **{k: v for k, v in settings.items() if k not in first},
        }
        azure = mapping(mapping(spec.get("cloudConfig")).get("azure"))
        if cloud == "azure":
            account = {
                k: azure[k] for k in ("subscriptionId", "tenantId") if isinstance(azure.get(k), str)
            }
            if account:
                model["azure"] = account
        if cloud == "gcp" and isinstance(spec.get("project"), str):
            model["gcp"] = {"project": spec["project"]}
        return model

    def _roles(self, groups: dict[str, list[Source]]) -> dict[str, Any]:
        """`kops.roles` for the control planes and the bastion: the image and root volume
        their groups share, where this treeform's model has `kops.roles`."""
        from treeform.providers import kops as engine_kops

        fields = getattr(engine_kops, "ROOT_VOLUME_FIELDS", None)
        if not has_setting("roles") or not isinstance(fields, dict):
            return {}
        out: dict[str, Any] = {}
        for key, members in groups.items():
            specs = [g.data["spec"] for g in members]
            if not specs:
                continue
            role: dict[str, Any] = {}
            images = {str(s.get("image")) for s in specs}
            if len(images) == 1 and isinstance(specs[0].get("image"), str):
                role["image"] = specs[0]["image"]
            volume = {}
            for model_key, doc_key in fields.items():
                values = [s.get(doc_key) for s in specs]
                if values[0] is not None and all(v == values[0] for v in values):
                    volume[model_key] = values[0]
            if volume:
                role["rootVolume"] = volume
            if role:
                out[key] = role
        return out

    def _group_zones(self, g: Source, subnet_zone: dict[str, Any]) -> list[str]:
        spec = g.data["spec"]
        if self.cloud == "gcp":
            return [z for z in listed(spec.get("zones")) if isinstance(z, str)]
        out: list[str] = []
        for s in listed(spec.get("subnets")):
            zone = subnet_zone.get(str(s))
            if isinstance(zone, str) and zone not in out:
                out.append(zone)
        return out

    def _pool(
        self, g: Source, subnet_zone: dict[str, Any], zones: list[str]
    ) -> dict[str, Any] | None:
        spec = g.data["spec"]
        gname = g.data["metadata"]["name"]
        if not _POOL.match(gname) or len(gname) > 40 or gname.startswith(CONTROL_PLANE_PREFIX):
            self.note(
                g,
                ("metadata", "name"),
                f"instance group {gname!r} cannot be a node pool name (a DNS label of at most "
                "40 characters, not control-plane-*)",
            )
            return None
        pool: dict[str, Any] = {}
        for field, key in (
            ("machineType", "machineType"),
            ("minSize", "minSize"),
            ("maxSize", "maxSize"),
        ):
            value = spec.get(key)
            if value is None or isinstance(value, bool):
                self.note(g, ("spec", key), f"instance group {gname!r} has no {key}")
                return None
            pool[field] = value
        if isinstance(spec.get("rootVolumeSize"), int):
            pool["diskSizeGb"] = spec["rootVolumeSize"]
        mixed = spec.get("mixedInstancesPolicy")
        if (
            isinstance(mixed, dict)
            and mixed.get("onDemandAboveBase") == 0
            and mixed.get("onDemandBase", 0) == 0
        ):
            pool["spot"] = True
        if spec.get("gcpProvisioningModel") == "SPOT":
            pool["spot"] = True
        gzones = self._group_zones(g, subnet_zone)
        if self.cloud == "azure":
            gzones = [_azure_zone(z, self.region) for z in gzones]
        if gzones:
            pool["zones"] = gzones
        labels = spec.get("nodeLabels")
        if isinstance(labels, dict):
            mine = {str(k): str(v) for k, v in labels.items() if k != GROUP_LABEL}
            if mine:
                pool["labels"] = mine
        taints = spec.get("taints")
        if isinstance(taints, list) and taints:
            parsed: list[dict[str, str]] = []
            for t in taints:
                m = _TAINT.match(t) if isinstance(t, str) else None
                if m is None or m.group(3) not in TAINT_EFFECTS:
                    parsed = []
                    break  # the escape hatch carries taints the model cannot say
                taint = {"key": m.group(1), "effect": m.group(3)}
                if m.group(2):
                    taint["value"] = m.group(2)
                parsed.append(taint)
            if parsed:
                pool["taints"] = parsed
        return pool

    def name_groups(self, generated: list[Any]) -> None:
        """Which generated group each input control plane and bastion became: the
        generated ones of the same role and zones, in order (treeform names them itself)."""
        gen_zone = {
            str(s.get("name")): s.get("zone")
            for s in listed(mapping(generated[0].get("spec")).get("subnets"))
            if isinstance(s, dict)
        }

        def zones_of(doc: Any) -> tuple[str, ...]:
            spec = mapping(doc.get("spec"))
            if self.cloud == "gcp":
                return tuple(str(z) for z in listed(spec.get("zones")))
            return tuple(str(gen_zone.get(str(n))) for n in listed(spec.get("subnets")))

        self.renames = {}
        for role, inputs in (("ControlPlane", self.control_planes), ("Bastion", self.bastions)):
            free = [d for d in generated[1:] if mapping(d.get("spec")).get("role") == role]
            for g in inputs:
                mine = tuple(self._group_zones(g, self.subnet_zone))
                match = next((d for d in free if zones_of(d) == mine), None)
                if match is None and role == "Bastion" and free:
                    match = free[0]  # a bastion serves every zone
                if match is not None:
                    free.remove(match)
                    self.renames[g.data["metadata"]["name"]] = match["metadata"]["name"]

    # --- the escape hatch ---------------------------------------------------------------
    def normalized(self) -> list[Any]:
        """The input documents with the groups under the names treeform gives them (so that
        the escape hatch never names a group treeform does not write)."""
        out = []
        for source in [self.cluster, *self.groups]:
            doc = _copy(source.data)
            if doc["kind"] == "Cluster":
                for etcd in listed(doc["spec"].get("etcdClusters")):
                    for member in listed(mapping(etcd).get("etcdMembers")):
                        group = mapping(member).get("instanceGroup")
                        if isinstance(group, str) and group in self.renames:
                            member["instanceGroup"] = self.renames[member["instanceGroup"]]
            else:
                old = doc["metadata"]["name"]
                if old in self.renames:
                    doc["metadata"]["name"] = self.renames[old]
                    labels = doc["spec"].get("nodeLabels")
                    if isinstance(labels, dict) and labels.get(GROUP_LABEL) == old:
                        labels[GROUP_LABEL] = self.renames[old]
            out.append(doc)
        return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {} or value[k] == {}}
    return value


def has_setting(name: str) -> bool:
    """Whether this treeform's model has the kOps setting `kops.<name>`."""
    from treeform.validate import cluster_schema

    return name in cluster_schema()["$defs"].get("engine_kops", {}).get("properties", {})


def _existing_fields() -> set[str]:
    """The fields of `network.existing` this treeform's model has."""
    from treeform.validate import cluster_schema

    network = cluster_schema()["$defs"].get("network", {}).get("properties", {})
    return set(network.get("existing", {}).get("properties", {}))


def hatch_fields() -> tuple[bool, bool]:
    """Whether this treeform's model has `kops.clusterSpec` and `nodePools.<p>.kops`."""
    from treeform.validate import cluster_schema

    defs = cluster_schema()["$defs"]
    cluster = "clusterSpec" in defs.get("engine_kops", {}).get("properties", {})
    pool = "kops" in defs.get("nodePool", {}).get("properties", {})
    return cluster, pool


def with_hatch(
    model: dict[str, Any], ext: Extraction, generated: list[Any], place: Place
) -> dict[str, Any]:
    """`model` with the escape hatch filled so that the documents come out as the input's
    (treeform's documented additions kept). A part of the hatch that makes the model
    invalid (kOps's rules, the CRDs) is left out, key by key: it stays a reported
    difference rather than failing the whole import."""
    cluster_hatch, pool_hatch = hatch_fields()
    ext.name_groups(generated)
    ours = {(d["kind"], d["metadata"]["name"]): d for d in generated}
    out: dict[str, Any] = _copy(model)
    for doc in ext.normalized():
        key = (doc["kind"], doc["metadata"]["name"])
        gen = ours.get(key)
        if gen is None:
            continue
        target = with_additions(doc, gen, doc["kind"], ALLOWED)
        # kOps's hatch merges and replaces but cannot remove: what treeform writes and the
        # input leaves out stays a reported difference.
        patch = without_nulls(merge_patch(gen.get("spec", {}), target.get("spec", MISSING)))
        if not patch:
            continue
        if doc["kind"] == "Cluster" and cluster_hatch:
            path: tuple[str, ...] = ("kops", "clusterSpec")
        elif doc["kind"] == "InstanceGroup" and pool_hatch and key[1] in ext.pools:
            path = ("nodePools", key[1], "kops", "spec")
        else:
            continue
        out = _hatched(out, path, patch, place)
    return out


def _put(model: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = _copy(model)
    node = out
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return out


def _hatched(
    model: dict[str, Any], path: tuple[str, ...], patch: dict[str, Any], place: Place
) -> dict[str, Any]:
    candidate = _put(model, path, patch)
    if place.render(candidate)[0] is not None:
        return candidate
    kept: dict[str, Any] = {}
    for key, value in patch.items():
        trial = _put(model, path, {**kept, key: value})
        if place.render(trial)[0] is not None:
            kept[key] = value
    return _put(model, path, kept) if kept else model
