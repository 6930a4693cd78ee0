"""What engines share: the state backend, subnet carving, and the Terraform settings block."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import InitVar, dataclass, field
from functools import lru_cache
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.base import CLUSTER_TAG, Engine
from treeform.providers.machines import Catalog, Machine, describe
from treeform.render import Renderer
from treeform.yamlload import FieldPath

#: Terraform versions every root module accepts (S3 native locking needs 1.10).
TERRAFORM_VERSION = ">= 1.10"

#: Settings each backend type needs from the model, by model field name.
BACKEND_REQUIRED = {
    "local": (),
    "s3": ("bucket",),
    "gcs": ("bucket",),
    "azurerm": ("resourceGroupName", "storageAccountName", "containerName"),
    "oss": ("bucket",),
    "cos": ("bucket",),
    "remote": ("organization",),
    "cloud": ("organization",),
}


#: s3 backend settings for S3-compatible stores reached through `endpoint`.
_S3_COMPATIBLE_SKIPS = (
    "skip_region_validation",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
)


def state_key(cluster: Cluster) -> str:
    """The per-cluster part of a state path: `keyPrefix` (if any) and the cluster id."""
    prefix = cluster.backend.settings.get("keyPrefix", "").strip("/")
    return f"{prefix}/{cluster.id}" if prefix else cluster.id


def backend_issues(cluster: Cluster) -> Iterator[Issue]:
    for name in BACKEND_REQUIRED.get(cluster.backend.type, ()):
        if not cluster.backend.settings.get(name):
            yield cluster.issue(
                ("backend", name), f"backend type {cluster.backend.type!r} needs {name}"
            )


def backend_block(cluster: Cluster, default_region: str | None = None) -> dict[str, Any]:
    """The `backend "TYPE" { ... }` of a cluster: its type and HCL attributes.

    Each cluster gets a state of its own: the key (or prefix, or workspace) is derived from
    the cluster id, so two clusters never share one.
    """
    s = cluster.backend.settings
    key = state_key(cluster)
    kind = cluster.backend.type
    attrs: dict[str, Any]
    if kind == "local":
        attrs = {"path": f"{s['path'].rstrip('/')}/{cluster.id}.tfstate"} if "path" in s else {}
    elif kind == "s3":
        attrs = {
            "bucket": s["bucket"],
            "key": f"{key}/terraform.tfstate",
            "region": s.get("region") or default_region or cluster.region,
            "encrypt": True,
            "use_lockfile": True,
        }
        if "endpoint" in s:
            # An S3-compatible store (DigitalOcean Spaces, Huawei OBS, MinIO, ...): no AWS
            # account, STS or region list to check against, and no AWS-only checksums.
            attrs["endpoints"] = {"s3": s["endpoint"]}
            attrs.update(dict.fromkeys(_S3_COMPATIBLE_SKIPS, True))
    elif kind == "gcs":
        attrs = {"bucket": s["bucket"], "prefix": key}
    elif kind == "azurerm":
        attrs = {
            "resource_group_name": s["resourceGroupName"],
            "storage_account_name": s["storageAccountName"],
            "container_name": s["containerName"],
            "key": f"{key}.tfstate",
            "use_azuread_auth": True,
        }
    elif kind in ("oss", "cos"):  # Alibaba OSS and Tencent COS take the same arguments
        attrs = {
            "bucket": s["bucket"],
            "prefix": key,
            "key": "terraform.tfstate",
            "region": s.get("region") or cluster.region,
            "encrypt": True,
        }
    else:  # remote / cloud: one workspace per cluster
        attrs = {"organization": s["organization"]}
    return {"type": kind, "attributes": attrs, "workspace": cluster.id.replace("/", "-")}


def state_address(cluster: Cluster) -> str | None:
    """Where the cluster's state lives, as one string two clusters must never share; None
    for a local state (it lives in or below the cluster's own module directory)."""
    s = cluster.backend.settings
    kind = cluster.backend.type
    if kind == "local":
        return None
    block = backend_block(cluster) if _has_required(cluster) else None
    if block is None:
        return None
    a = block["attributes"]
    if kind == "s3":
        endpoint = s.get("endpoint", "").rstrip("/")
        return f"{endpoint + '/' if endpoint else 's3://'}{a['bucket']}/{a['key']}"
    if kind == "gcs":
        return f"gs://{a['bucket']}/{a['prefix']}/default.tfstate"
    if kind == "azurerm":
        return f"azurerm://{a['storage_account_name']}/{a['container_name']}/{a['key']}"
    if kind in ("oss", "cos"):
        return f"{kind}://{a['bucket']}/{a['prefix']}/{a['key']}"
    return f"{s.get('hostname', 'app.terraform.io')}/{a['organization']}/{block['workspace']}"


def _has_required(cluster: Cluster) -> bool:
    return all(
        cluster.backend.settings.get(n) for n in BACKEND_REQUIRED.get(cluster.backend.type, ())
    )


def tf_id(name: str) -> str:
    """A Terraform identifier for a model name (a DNS label): `gpu-a` -> `gpu_a`."""
    ident = name.replace("-", "_").replace(".", "_")
    return ident if ident[:1].isalpha() or ident[:1] == "_" else f"_{ident}"


@dataclass(frozen=True)
class ZoneSubnets:
    zone: str
    private: str
    public: str


@lru_cache(maxsize=1024)  # many clusters share a network range and zones
def _carved(cidr: str, zones: tuple[str, ...]) -> tuple[ZoneSubnets, ...]:
    net = ipaddress.IPv4Network(cidr)
    eighths = list(net.subnets(prefixlen_diff=3))
    public = list(eighths[7].subnets(prefixlen_diff=3))
    return tuple(
        ZoneSubnets(zone, str(eighths[i]), str(public[i])) for i, zone in enumerate(zones[:7])
    )


def carve_subnets(cidr: str, zones: tuple[str, ...]) -> list[ZoneSubnets]:
    """Subnets per zone, carved deterministically from the network range.

    The range is cut in eight; zone i gets the i-th eighth as its private subnet (a /19 of
    a /16), and the last eighth is cut in eight again for the public subnets (a /22 each),
    so nodes get the large ranges and load balancers and NAT gateways the small ones. Up to
    seven zones fit without overlap.
    """
    return list(_carved(cidr, tuple(zones)))


#: Engine names as their clouds write them, for messages.
ENGINE_NAMES = {"kops": "kOps"}


def engine_name(cluster: Cluster) -> str:
    return ENGINE_NAMES.get(cluster.engine, cluster.engine.upper())


def machine_type_issues(
    cluster: Cluster,
    pattern: re.Pattern[str],
    not_a: str,
    *,
    catalog: Catalog | None = None,
    several: bool = False,
) -> Iterator[Issue]:
    """Each node pool whose machine type is not of the cloud's form: `'x' is not <not_a>`
    (the engine says what the form is, with an example). With the cloud's `catalog`, each
    type must also be in its family table, and the types of one pool must share one
    architecture and accelerator. An engine that takes one type per pool (`several`
    false) refuses a `machineTypes` list of more than one."""
    for name, pool in cluster.node_pools.items():
        list_path = ("nodePools", name, "machineTypes")
        if pool.machine_types_given and len(pool.machine_types) > 1 and not several:
            yield cluster.issue(
                list_path,
                f"{engine_name(cluster)} takes one machine type per node pool; use machineType "
                "(or one pool per type)",
            )
            continue
        kinds: dict[tuple[str, str | None], str] = {}
        for i, machine_type in enumerate(pool.machine_types):
            path: FieldPath = (
                (*list_path, i) if pool.machine_types_given else pool.machine_type_path
            )
            if not pattern.match(machine_type):
                yield cluster.issue(path, f"{machine_type!r} is not {not_a}")
                continue
            if catalog is None:
                continue
            machine = catalog.machine(machine_type)
            if isinstance(machine, str):
                yield cluster.issue(path, machine)
                continue
            kinds.setdefault((machine.arch, machine.accelerator), describe(machine))
        if len(kinds) > 1:
            yield cluster.issue(
                list_path,
                "the machine types of one pool share one architecture and accelerator (one "
                f"node image); {' and '.join(kinds.values())} do not",
            )


def access_issues(cluster: Cluster, principal: re.Pattern[str], not_a: str) -> Iterator[Issue]:
    """Each `access` grant whose principal is not of the cloud's form (`is not <not_a>`),
    and a principal given the same role twice."""
    seen: set[tuple[str, str]] = set()
    for i, grant in enumerate(cluster.access):
        if not principal.match(grant.principal):
            yield cluster.issue(("access", i, "principal"), f"is not {not_a}")
        if (grant.principal, grant.role) in seen:
            yield cluster.issue(
                ("access", i, "role"),
                f"{grant.principal} has role {grant.role} twice; give it the namespaces of "
                "both in one entry",
            )
        seen.add((grant.principal, grant.role))


def secrets_key_issues(
    cluster: Cluster, key: re.Pattern[str], not_a: str, held_by: str = "key"
) -> Iterator[Issue]:
    """`encryption.secretsKey` not of the cloud's form (`key` captures its region first),
    or in another region than the cluster's (`held_by`: what holds the region)."""
    given = cluster.secrets_key
    if given is None:
        return
    match = key.match(given)
    if match is None:
        yield cluster.issue(("encryption", "secretsKey"), f"is not {not_a}")
    elif match.group(1) != cluster.region:
        yield cluster.issue(
            ("encryption", "secretsKey"),
            f"the {held_by} is in {match.group(1)}; {engine_name(cluster)} needs a key in the "
            f"cluster's region {cluster.region}",
        )


def pool_machines(cluster: Cluster, catalog: Catalog) -> dict[str, list[Machine]]:
    """The machines of each pool (the well-formed, known ones: a valid model has only those)."""
    out: dict[str, list[Machine]] = {}
    for name, pool in cluster.node_pools.items():
        found = [catalog.machine(t) for t in pool.machine_types]
        out[name] = [m for m in found if isinstance(m, Machine)]
    return out


def refused_pool_field_issues(cluster: Cluster, field: str, why: str) -> Iterator[Issue]:
    """`nodePools.<p>.<field>` on an engine that cannot express it: an error naming the
    engine, never a field dropped silently."""
    for name in cluster.node_pools:
        if field in (cluster.data.get("nodePools") or {}).get(name, {}):
            yield cluster.issue(("nodePools", name, field), f"{engine_name(cluster)} {why}")


def choice_issues(
    cluster: Cluster, field: str, choices: Mapping[str, Any], what: str
) -> Iterator[Issue]:
    """`nodePools.<p>.<field>` outside the engine's `choices` (image, diskType)."""
    for name in cluster.node_pools:
        value = (cluster.data.get("nodePools") or {}).get(name, {}).get(field)
        if value is not None and value not in choices:
            yield cluster.issue(
                ("nodePools", name, field),
                f"{engine_name(cluster)} has no {what} {value!r}; it takes {', '.join(choices)}",
            )


def versions_tf(
    cluster: Cluster,
    renderer: Renderer,
    providers: Mapping[str, Mapping[str, str]],
    default_region: str | None = None,
) -> str:
    """`versions.tf`: required Terraform and providers, and the cluster's own backend."""
    return renderer.render(
        "common/versions.tf.j2",
        {
            "terraform_version": TERRAFORM_VERSION,
            "providers": dict(sorted(providers.items())),
            "backend": backend_block(cluster, default_region),
        },
    )


def tag_text(key: str, value: str) -> str:
    """A tag as one string, where a cloud's tags are strings (DigitalOcean, IBM Cloud):
    `key:value`, or `key` for an empty value."""
    return f"{key}:{value}" if value else key


def tagged(cluster: Cluster, value: str | None = None) -> dict[str, str]:
    """The model's tags and treeform's cluster tag (`CLUSTER_TAG`), whose value is the
    cluster id (or `value`, where the cloud refuses a '/' in tag values)."""
    return {**cluster.tags, CLUSTER_TAG: cluster.id if value is None else value}


@dataclass(frozen=True)
class TagLimits:
    """A cloud's limits on tags: lengths, how many, and key prefixes it keeps for itself.
    `max_tags` counts the tags a cluster's resources get (`Provider.cluster_tags`), so
    treeform's own as well."""

    cloud: str
    key_max: int
    value_max: int
    max_tags: int | None = None
    reserved_prefixes: tuple[str, ...] = ()

    def issues(self, cluster: Cluster, tags: Mapping[str, str]) -> Iterator[Issue]:
        """The model's tags against the limits; `tags` are what the resources get."""
        if self.max_tags is not None and len(tags) > self.max_tags:
            yield cluster.issue(
                "tags",
                f"{self.cloud} resources take at most {self.max_tags} tags; treeform adds one, "
                f"so the model may set {self.max_tags - 1}, not {len(cluster.tags)}",
            )
        reserved = " or ".join(repr(p) for p in self.reserved_prefixes)
        for key, value in cluster.tags.items():
            if self.reserved_prefixes and key.lower().startswith(self.reserved_prefixes):
                yield cluster.issue(
                    ("tags", key),
                    f"tag keys starting with {reserved} are reserved on {self.cloud}",
                    key=True,
                )
            if len(key) > self.key_max:
                yield cluster.issue(
                    ("tags", key),
                    f"tag keys are at most {self.key_max} characters on {self.cloud}",
                    key=True,
                )
            if len(value) > self.value_max:
                yield cluster.issue(
                    ("tags", key),
                    f"tag values are at most {self.value_max} characters on {self.cloud}",
                )


@dataclass
class Cloud:
    """A cloud as the registry sees it (`Provider`): its engines and regions, the zones a
    cluster gets by default (the region's first `default_zone_count`, or all), and its tags.
    A cloud with rules of its own subclasses it and extends `validate`."""

    name: str
    regions: Mapping[str, tuple[str, ...]]
    engine_list: InitVar[tuple[Engine, ...]]
    #: The model's tags and treeform's, as the cloud writes them (`Provider.cluster_tags`).
    tags: Callable[[Cluster], dict[str, str]]
    tag_limits: TagLimits | None = None
    default_zone_count: int | None = 3
    engines: Mapping[str, Engine] = field(init=False)

    def __post_init__(self, engine_list: tuple[Engine, ...]) -> None:
        self.engines = {e.name: e for e in engine_list}

    def default_zones(self, region: str) -> tuple[str, ...]:
        return self.regions.get(region, ())[: self.default_zone_count]

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        if self.tag_limits is not None:
            yield from self.tag_limits.issues(cluster, self.cluster_tags(cluster))

    def cluster_tags(self, cluster: Cluster) -> dict[str, str]:
        return self.tags(cluster)
