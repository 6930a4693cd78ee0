"""The capability table (generator/capabilities.py) against the schema, the engines and the
output: every schema field is honoured or refused by every engine; a refusal is an error at
the field; an honoured field changes what is rendered (or says why it does not)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT
from treeform import capabilities
from treeform.capabilities import (
    CAPABILITIES,
    ENGINES,
    Honoured,
    Refused,
    capability,
    coverage_gaps,
    schema_fields,
)
from treeform.errors import Issue, Location
from treeform.model import Cluster
from treeform.pipeline import render_model
from treeform.providers import PROVIDERS
from treeform.render import Renderer
from treeform.tree import Provenance, RawCluster, load_model
from treeform.validate import cluster_schema, validate_each

FIELDS = schema_fields(cluster_schema())


# -- the table covers the schema ------------------------------------------------------------


def test_engine_keys_are_the_providers_engines() -> None:
    clouds: dict[str, list[str]] = {}
    for provider in PROVIDERS.values():
        for name in provider.engines:
            clouds.setdefault(name, []).append(provider.name)
    keys = {n if len(c) == 1 else f"{n}:{cloud}" for n, c in clouds.items() for cloud in c}
    assert keys == set(ENGINES)
    assert {capabilities.CLOUD_OF[k] for k in ENGINES} == set(PROVIDERS)


def test_every_schema_field_is_honoured_or_refused_by_every_engine() -> None:
    assert len(FIELDS) > 200  # the walk reaches the nested and the per-engine fields
    assert {
        "nodePools.*.spot",
        "nodePools.*.taints[].effect",
        "eks.fargateProfiles[].name",
        "kops.roles.node.rootVolume.iops",
        "oke.nodeShapes.*.ocpus",
    } <= set(FIELDS)
    assert coverage_gaps(FIELDS) == []


def test_the_table_names_only_schema_fields_and_engines() -> None:
    assert sorted(set(CAPABILITIES) - set(FIELDS)) == []
    for field, row in CAPABILITIES.items():
        assert set(row) <= set(ENGINES), field


def test_a_new_field_that_no_engine_declares_is_found() -> None:
    # The checker itself can fail: a schema with one more pool field, and a table row that
    # forgets an engine.
    schema = copy.deepcopy(cluster_schema())
    schema["$defs"]["nodePool"]["properties"]["bootTimeoutMinutes"] = {"type": "integer"}
    fields = schema_fields(schema)
    assert "nodePools.*.bootTimeoutMinutes" in fields
    assert coverage_gaps(fields) == [("nodePools.*.bootTimeoutMinutes", e) for e in ENGINES]
    table = {**CAPABILITIES, "nodePools.*.bootTimeoutMinutes": capabilities.only(["eks"])}
    assert coverage_gaps(fields, table) == []
    partial = {k: v for k, v in table["nodePools.*.bootTimeoutMinutes"].items() if k != "oke"}
    table["nodePools.*.bootTimeoutMinutes"] = partial
    assert coverage_gaps(fields, table) == [("nodePools.*.bootTimeoutMinutes", "oke")]


def test_a_refused_block_covers_its_fields() -> None:
    # kops.roles.node.image on GKE: the kops block is GKE's refusal, once.
    assert isinstance(capability("kops.roles.node.image", "gke"), Refused)
    assert capability("kops.roles.node.image", "gke") == CAPABILITIES["kops"]["gke"]
    assert isinstance(capability("kops.roles.node.image", "kops:gcp"), Honoured)
    # A refusal of some values only (spot: true on DOKS) covers nothing below it.
    assert capability("nodePools.*.spot", "doks") == Refused(
        "DigitalOcean has no spot Droplets; remove spot: true", values=(True,)
    )


# -- the examples and the samples ----------------------------------------------------------

RENDERER = Renderer()


@cache
def _examples() -> dict[str, list[RawCluster]]:
    """The example clusters of each engine key, as plain data."""
    out: dict[str, list[RawCluster]] = {}
    for raw in load_model(ROOT / "examples", "examples"):
        data = raw.data
        key = f"{data['engine']}:{data['cloud']}"
        out.setdefault(key if key in capabilities.CLOUD_OF else data["engine"], []).append(raw)
    return out


def _example(key: str, *, pools: bool = False) -> RawCluster:
    """An example cluster of the engine (one with node pools, for a pool field)."""
    return next(r for r in _examples()[key] if r.data.get("nodePools") or not pools)


def _raw(raw: RawCluster, data: dict[str, Any]) -> RawCluster:
    # Every value located in the cluster's own file (as if it wrote them all).
    return RawCluster(raw.id, raw.file, data, Provenance(fallback=Location(raw.file)))


#: Variants whose validation raised (a traceback for a model: a bug of its own).
CRASHES: list[tuple[str, str]] = []


def _check(raw: RawCluster, data: dict[str, Any]) -> tuple[Cluster | None, list[Issue]]:
    try:
        clusters, issues = validate_each([_raw(raw, data)])
    except Exception as exc:
        CRASHES.append((raw.id, f"{type(exc).__name__}: {exc}"))
        return None, [Issue(Location(raw.file), "", f"crash: {exc!r}")]
    return (clusters[0] if clusters else None), issues


@cache
def _rendered_base(cluster_id: str) -> dict[str, str]:
    raw = next(r for rs in _examples().values() for r in rs if r.id == cluster_id)
    cluster, issues = _check(raw, raw.data)
    assert cluster is not None, issues
    return render_model([cluster], RENDERER)


def _render(raw: RawCluster, data: dict[str, Any]) -> dict[str, str] | None:
    cluster, _ = _check(raw, data)
    return None if cluster is None else render_model([cluster], RENDERER)


def _merge(base: Any, patch: Any) -> Any:
    """The tree's merge: mappings key by key, lists and scalars replace, None removes."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


POOL = "<pool>"  # the sample's pool: the example's first one


def _concrete(data: dict[str, Any], patch: Any) -> Any:
    pool = next(iter(data.get("nodePools") or {"general": None}))
    if isinstance(patch, dict):
        return {(pool if k == POOL else k): _concrete(data, v) for k, v in patch.items()}
    if isinstance(patch, list):
        return [_concrete(data, v) for v in patch]
    return patch


_EXISTING = {"networkId": "vpc-1", "subnetIds": ["subnet-1", "subnet-2", "subnet-3"]}
_GRANT = {"principal": "arn:aws:iam::123456789012:role/dev", "role": "view"}
_WINDOW = {"day": "saturday", "start": "22:00"}
_EXCLUSION = {"name": "freeze", "start": "2026-12-20T00:00:00Z", "end": "2026-12-22T00:00:00Z"}


def _schema_fields_below(field: str) -> list[str]:
    return [f for f in FIELDS if f == field or f.startswith(field + ".")]


class PerEngine(dict[str, Any]):
    """A sample for each engine key (others: none)."""


#: A value of each field (as a patch of the cluster), for the fields the examples do not
#: set and the refusals: field -> patch, or engine key -> patch.
SAMPLES: dict[str, Any] = {
    "network.podCidr": {"network": {"podCidr": "100.96.0.0/16"}},
    "network.topology": {"network": {"topology": "public"}},
    "network.existing": {"network": {"existing": _EXISTING}},
    "network.existing.controlPlaneSubnetIds": {
        "network": {"existing": {**_EXISTING, "controlPlaneSubnetIds": ["subnet-8", "subnet-9"]}}
    },
    "network.existing.cidr": {"network": {"existing": {**_EXISTING, "cidr": "10.9.0.0/16"}}},
    "network.existing.additionalCidrs": {
        "network": {"existing": {**_EXISTING, "additionalCidrs": ["10.8.0.0/16"]}}
    },
    "apiServer.allowedCidrs": {"apiServer": {"public": True, "allowedCidrs": ["203.0.113.0/24"]}},
    "nodePools.*.diskSizeGb": {"nodePools": {POOL: {"diskSizeGb": 120}}},
    "nodePools.*.spot": {"nodePools": {POOL: {"spot": True}}},
    "nodePools.*.kubernetesVersion": {"nodePools": {POOL: {"kubernetesVersion": "1.33"}}},
    "nodePools.*.maxPods": {"nodePools": {POOL: {"maxPods": 64}}},
    "nodePools.*.image": {"nodePools": {POOL: {"image": "ubuntu"}}},
    "nodePools.*.diskType": {"nodePools": {POOL: {"diskType": "gp3"}}},
    "nodePools.*.kops": {"nodePools": {POOL: {"kops": {"cloudLabels": {"team": "x"}}}}},
    "addons[].version": {"addons": [{"name": "metrics-server", "version": "v1"}]},
    "addons[].configuration": {"addons": [{"name": "metrics-server", "configuration": {}}]},
    "gcp.networkProject": {"gcp": {"networkProject": "host-project"}},
    "azure.tenantId": {"azure": {"tenantId": "00000000-0000-0000-0000-000000000001"}},
    "kops.sharedVpc": {"kops": {"sharedVpc": True}},
    "kops.sharedVpcIds": {
        "kops": {"sharedVpcIds": {"networkId": "vpc-1", "subnetIds": {"a": "subnet-1"}}}
    },
    "kops.apiLoadBalancer.class": {"kops": {"apiLoadBalancer": {"class": "Network"}}},
    "kops.apiLoadBalancer.dnsOnly": {"kops": {"apiLoadBalancer": {"dnsOnly": True}}},
    "kops.discoveryStore": {"kops": {"discoveryStore": "azureblob://account/discovery"}},
    "kops.egress": {"kops": {"egress": "nat-0123456789abcdef0"}},
    "kops.ipv6": {"kops": {"ipv6": True}},
    "maintenance": {"maintenance": _WINDOW},
    "maintenance.exclusions": {"maintenance": {**_WINDOW, "exclusions": [_EXCLUSION]}},
    "access": {"access": [_GRANT]},
    "access[].namespaces": {"access": [{**_GRANT, "role": "edit", "namespaces": ["web"]}]},
    "encryption": {"encryption": {"secretsKey": "key"}},
    "autoprovisioning": {"autoprovisioning": {"enabled": True, "cpu": 8, "memoryGb": 32}},
}


def _backend(**settings: Any) -> Any:
    def apply(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "backend": settings}

    return apply


def _pool_field(name: str, of: Any) -> Any:
    """Set a field of the first pool from the pool itself."""

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        for pool in list((data.get("nodePools") or {}).values())[:1]:
            pool.update(of(pool))
        return data

    return apply


def _elsewhere(data: dict[str, Any]) -> dict[str, Any]:
    """The cluster in another region of its cloud (the region's default zones)."""
    provider = PROVIDERS[data["cloud"]]
    region = next(r for r in provider.regions if r != data["region"] and provider.regions[r])
    for pool in (data.get("nodePools") or {}).values():
        pool.pop("zones", None)
    return {**{k: v for k, v in data.items() if k != "zones"}, "region": region}


def _zones(data: dict[str, Any]) -> dict[str, Any]:
    """The cluster in two zones of its region (its pools in all of them)."""
    zones = PROVIDERS[data["cloud"]].regions.get(data["region"], ())
    for pool in (data.get("nodePools") or {}).values():
        pool.pop("zones", None)
    return {**data, "zones": list(zones[:2])}


_S3 = {"type": "s3", "bucket": "state", "region": "us-east-1", "keyPrefix": "clusters"}
SAMPLES.update(
    {
        "backend.type": _backend(type="local"),
        "backend.bucket": _backend(**_S3),
        "backend.region": _backend(**_S3),
        "backend.keyPrefix": _backend(**_S3),
        "backend.endpoint": _backend(**_S3, endpoint="https://s3.example.com"),
        **{
            f"backend.{k}": _backend(
                type="azurerm",
                resourceGroupName="rg-state",
                storageAccountName="ststate",
                containerName="tfstate",
            )
            for k in ("resourceGroupName", "storageAccountName", "containerName")
        },
        "backend.organization": _backend(type="cloud", organization="example"),
        "backend.path": _backend(type="local", path="states"),
        "nodePools.*.desiredSize": _pool_field(
            "desiredSize", lambda p: {"desiredSize": p["maxSize"]}
        ),
        "nodePools.*.machineTypes": _pool_field(
            "machineTypes", lambda p: {"machineTypes": [p.pop("machineType")]}
        ),
        "region": _elsewhere,
        "zones": _zones,
        "nodePools.*.kubernetesVersion": PerEngine(
            {
                "aks": {
                    "aks": {"automaticUpgradeChannel": "node-image"},
                    "nodePools": {POOL: {"kubernetesVersion": "1.33"}},
                },
                "*": {"nodePools": {POOL: {"kubernetesVersion": "1.33"}}},
            }
        ),
    }
)


_VNET = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"


def _existing(network_id: str, *subnets: str, **more: Any) -> Any:
    return {"network": {"existing": {"networkId": network_id, "subnetIds": list(subnets)}}, **more}


_EXISTING_BY_ENGINE = PerEngine(
    {
        "eks": _existing("vpc-1", "subnet-1", "subnet-2", "subnet-3", eks={"eksctl": True}),
        "aks": _existing(_VNET, f"{_VNET}/subnets/nodes"),
        "gke": _existing("projects/p/global/networks/n", "projects/p/regions/r/subnetworks/s"),
        "ack": _existing("vpc-1", "vsw-1", "vsw-2", "vsw-3"),
        "tke": _existing("vpc-1", "subnet-1", "subnet-2", "subnet-3"),
        "cce": _existing("vpc-1", "subnet-1", "subnet-2", "subnet-3"),
        "oke": _existing("ocid1.vcn.1", "ocid1.subnet.1", "ocid1.subnet.2", "ocid1.subnet.3"),
        "kops:gcp": _existing("net", "subnet", apiServer={"allowedCidrs": ["10.0.0.0/8"]}),
        "kops:azure": _existing(
            "vnet",
            "subnet",
            azure={"resourceGroup": "rg"},
            apiServer={"allowedCidrs": ["10.0.0.0/8"]},
        ),
    }
)
for _field in ("network.existing", "network.existing.networkId", "network.existing.subnetIds"):
    SAMPLES[_field] = _EXISTING_BY_ENGINE


def _named_addons(data: dict[str, Any]) -> dict[str, Any]:
    """The example's addons, each as a mapping with its name."""
    names = [a if isinstance(a, str) else a["name"] for a in data.get("addons") or []]
    return {**data, "addons": [{"name": n} for n in names]}


SAMPLES["addons[].name"] = _named_addons
_TAINT = {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}
for _field in ("taints", "taints[].key", "taints[].value", "taints[].effect"):
    SAMPLES[f"nodePools.*.{_field}"] = {"nodePools": {POOL: {"taints": [_TAINT]}}}
_BASTION = {
    "kops": {"bastion": True, "sshAccess": ["203.0.113.0/24"]},
    "network": {"topology": "private"},
}
for _field in ("kops.bastionMachineType", *_schema_fields_below("kops.roles.bastion")):
    SAMPLES[_field] = _BASTION
for _field in ("doks.maintenanceDay", "doks.maintenanceStartTime"):
    SAMPLES[_field] = {"maintenance": None, "doks": {"maintenanceDay": "monday"}}
_KARPENTER = {
    "eks": {"autoprovisioning": "karpenter"},
    "addons": ["vpc-cni", "coredns", "kube-proxy"],
    "autoprovisioning": {"enabled": True, "cpu": 100, "memoryGb": 400},
}
for _field in ("eks.autoprovisioning", "autoprovisioning.cpu", "autoprovisioning.memoryGb"):
    SAMPLES[_field] = _KARPENTER
SAMPLES["ack.secretsKmsKeyId"] = {"highAvailability": True, "ack": {"secretsKmsKeyId": "key-1"}}


def _shared_vpc(data: dict[str, Any]) -> dict[str, Any]:
    host, region = "host-project", data["region"]
    existing = {
        "networkId": f"projects/{host}/global/networks/shared",
        "subnetIds": [f"projects/{host}/regions/{region}/subnetworks/nodes"],
    }
    data.setdefault("gcp", {})["networkProject"] = host
    data.setdefault("network", {})["existing"] = existing
    return data


SAMPLES["gcp.networkProject"] = _shared_vpc


def _secrets_key(data: dict[str, Any]) -> dict[str, Any]:
    key = f"arn:aws:kms:{data['region']}:123456789012:key/abc"
    return {**data, "encryption": {"secretsKey": key}}


_VAULT_KEY = "https://vault.vault.azure.net/keys/secrets/0123456789abcdef"
_VAULT = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault"
for _field in ("encryption", "encryption.secretsKey"):
    SAMPLES[_field] = PerEngine(
        {
            "eks": _secrets_key,
            "aks": {"encryption": {"secretsKey": _VAULT_KEY}, "aks": {"keyVaultId": _VAULT}},
            "*": {"encryption": {"secretsKey": "key"}},
        }
    )


def _sample(field: str, key: str) -> Any:
    sample = SAMPLES.get(field)
    if isinstance(sample, PerEngine):
        if key not in sample and "*" not in sample:
            raise AssertionError(f"no sample of {field} for {key}")
        return sample.get(key, sample.get("*"))
    if sample is not None:
        return sample
    if "." not in field and field in cluster_schema()["properties"]:
        return {field: {}}  # a block of settings
    raise AssertionError(f"no sample of {field} for {key}: add one to SAMPLES")


def _apply(data: dict[str, Any], sample: Any) -> dict[str, Any]:
    """The cluster with a sample: a patch, or a function of the cluster's data."""
    if callable(sample):
        return sample(copy.deepcopy(data))  # type: ignore[no-any-return]
    return _merge(data, _concrete(data, sample))


def _concrete_path(field: str, data: dict[str, Any]) -> str:
    pool = next(iter(data.get("nodePools") or {"general": None}))
    return field.replace("nodePools.*", f"nodePools.{pool}").replace("[]", "[0]")


# -- refused is an error at the field ------------------------------------------------------


def _refusals() -> Iterator[tuple[str, str]]:
    for field, row in CAPABILITIES.items():
        for key, cap in row.items():
            if isinstance(cap, Refused) and capability(field, key) is cap:
                if any(capability(a, key) is cap for a in capabilities._ancestors(field)):
                    continue  # its block is refused: tested there
                yield field, key


@pytest.mark.parametrize(("field", "key"), sorted(_refusals()))
def test_a_refused_field_is_an_error_at_the_field(field: str, key: str) -> None:
    raw = _example(key, pools=field.startswith("nodePools"))
    cap = capability(field, key)
    assert isinstance(cap, Refused)
    data = _apply(raw.data, _sample(field, key))
    _, issues = _check(raw, data)
    path = _concrete_path(field, data)
    at = [i for i in issues if i.path == path]
    assert at, f"{key} does not refuse {path}: {[str(i) for i in issues]}"
    if cap.why and not cap.by_engine:
        assert any(i.message == cap.why for i in at), [str(i) for i in at]
    name = key.split(":")[0]
    if not cap.why:
        assert any(f"engine {name} " in i.message for i in at), [str(i) for i in at]


def test_settings_of_another_engine_inherited_from_defaults_pass(tmp_path: Path) -> None:
    raw = _examples()["doks"][0]
    data = _merge(raw.data, {"kops": {"dnsZone": "example.com"}})
    elsewhere = Provenance(fallback=Location("_defaults.yaml"))
    clusters, issues = validate_each([RawCluster(raw.id, raw.file, data, elsewhere)])
    assert issues == [] and clusters
    _, issues = _check(raw, data)
    assert [i.path for i in issues] == ["kops"]


# -- honoured changes the output -----------------------------------------------------------


def _leaves(data: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*at, k), v
            yield from _leaves(v, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, (*at, i))


def _pattern(path: tuple[Any, ...]) -> str | None:
    """The table's name of a concrete path (None: not a field, e.g. a list item)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[]"
            continue
        candidate = f"{out}.{part}" if out else part
        star = f"{out}.*"
        if candidate in CAPABILITIES:
            out = candidate
        elif star in CAPABILITIES:
            out = star
        else:
            return None
    return out if out in CAPABILITIES else None


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    if value is _GONE:
        if isinstance(node, list):
            node.pop(path[-1])
        else:
            del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_GONE = object()


@cache
def _seen() -> dict[str, list[Any]]:
    """The values each field has in the examples, of any engine: the other values a
    field is tried with."""
    seen: dict[str, list[Any]] = {}
    for raws in _examples().values():
        for raw in raws:
            for path, value in _leaves(raw.data):
                field = _pattern(path)
                if field is not None and isinstance(value, str | int | list):
                    if value not in seen.setdefault(field, []):
                        seen[field].append(value)
    return seen


@cache
def _seen_for(key: str) -> dict[str, list[Any]]:
    """`_seen`, but for the addons only the engine's own (an unknown one is an error)."""
    engine = PROVIDERS[capabilities.CLOUD_OF[key]].engines[key.split(":")[0]]

    def known(value: Any) -> bool:
        names = [v["name"] if isinstance(v, dict) else v for v in value]
        return all(n in engine.addons for n in names)

    seen = dict(_seen())
    seen["addons"] = [v for v in seen.get("addons", []) if known(v)]
    seen["addons[].name"] = sorted(engine.addons)
    return seen


#: Other values to try, where the examples hold only one.
ALTERNATIVES: dict[str, list[Any]] = {
    "name": ["other"],
    "kubernetesVersion": ["1.33", "1.34", "1.32"],
    "nodePools.*.taints[].value": ["other", ""],
    "nodePools.*.taints[].effect": ["NoExecute", "PreferNoSchedule"],
    "nodePools.*.labels.*": ["other"],
    "tags.*": ["other"],
    "maintenance.start": ["03:00"],
    "maintenance.day": ["sunday", "daily"],
    "maintenance.exclusions[].name": ["other"],
    "maintenance.exclusions[].start": ["2026-12-19T00:00:00Z"],
    "maintenance.exclusions[].end": ["2026-12-23T00:00:00Z"],
    "access[].role": ["admin", "edit", "cluster-admin"],
    "kops.channel": ["alpha", "stable"],
    "kops.nonMasqueradeCidr": ["100.64.0.0/12"],
    "kops.etcd.kmsKeyId": [
        "arn:aws:kms:us-east-1:123456789012:key/abc",
        "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
        "https://vault.vault.azure.net/keys/etcd/0123456789abcdef",
    ],
    **{
        f"kops.roles.{r}.rootVolume.type": ["gp2", "io1", "pd-ssd", "Premium_LRS"]
        for r in ("controlPlane", "bastion", "node")
    },
    "eks.securityGroupIds": [["sg-0123456789abcdef0"]],
    "gke.rbacSecurityGroup": ["gke-security-groups@example.com"],
    "aks.acrIds": [
        ["/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r"]
    ],
    "aks.diskEncryptionSetId": [
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des"
    ],
    # Durations, a ratio and counts: whichever each setting takes.
    **{f: ["17s", "7m", "0.3", 7] for f in _schema_fields_below("aks.autoscalerProfile")[1:]},
    "kops.image": ["example/image-1"],
    **{f"kops.roles.{r}.image": ["example/image-1"] for r in ("controlPlane", "bastion", "node")},
}


#: Fields whose values are tried for another (a machine type of the cloud, ...).
LIKE: dict[str, str] = {
    "kops.controlPlaneMachineType": "nodePools.*.machineType",
    "kops.bastionMachineType": "nodePools.*.machineType",
    "kops.roles.controlPlane.rootVolume.type": "nodePools.*.diskType",
    "kops.roles.bastion.rootVolume.type": "nodePools.*.diskType",
    "kops.roles.node.rootVolume.type": "nodePools.*.diskType",
    "kops.etcd.volumeType": "nodePools.*.diskType",
    "nodePools.*.kubernetesVersion": "kubernetesVersion",
}


def _variants(field: str, value: Any, seen: dict[str, list[Any]], key: str = "") -> Iterator[Any]:
    yield _GONE
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield from (value + 1, value * 2, max(value - 1, 0))
    elif isinstance(value, list) and len(value) > 1:
        yield value[:-1]
        yield list(reversed(value))
    cap = CAPABILITIES.get(field, {}).get(key)
    listed = list(cap.values) if isinstance(cap, Honoured) else []
    others = [*ALTERNATIVES.get(field, []), *listed, *seen.get(field, [])]
    others += seen.get(LIKE.get(field, ""), [])
    if field == "nodePools.*.machineTypes":
        others += [[t] for t in seen.get("nodePools.*.machineType", [])]
    if isinstance(value, str) and value:
        others += [value + "x", value[:-1] + ("1" if value[-1] != "1" else "2")]
    yield from (v for v in others if v != value and type(v) is type(value))


def _prove(
    raw: RawCluster, data: dict[str, Any], field: str, seen: dict[str, list[Any]], key: str
) -> str:
    """How changing `field` in `data` changes the output ("" where no change does)."""
    base = _rendered_base(raw.id) if data is raw.data else _render(raw, data)
    if base is None:
        return ""
    for path in capabilities._paths(data, tuple(field.split("."))):
        value = capabilities._value(data, path)
        for variant in _variants(field, value, seen, key):
            out = _render(raw, _set(data, path, variant))
            if out is not None and out != base:
                shown = "(removed)" if variant is _GONE else repr(variant)
                return f"{raw.id}: {path} {value!r} -> {shown}"
    return ""


def _schema_node(field: str) -> dict[str, Any]:
    """The schema of a table field."""
    schema = cluster_schema()
    node: dict[str, Any] = schema

    def resolved(n: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in n:
            n = schema["$defs"][n["$ref"].rsplit("/", 1)[1]]
        return n

    for part in field.split("."):
        items = part.endswith("[]")
        name = part[:-2] if items else part
        node = resolved(node)
        node = node["additionalProperties"] if name == "*" else node["properties"][name]
        if items:
            node = resolved(node)["items"]
    return resolved(node)


def _candidates(field: str, seen: dict[str, list[Any]], key: str = "") -> list[Any]:
    """Values the schema allows for `field`, to add it to an example that lacks it."""
    cap = CAPABILITIES.get(field, {}).get(key)
    if isinstance(cap, Honoured) and cap.values:
        return list(cap.values)
    node = _schema_node(field)
    if "enum" in node:
        return list(node["enum"])
    kind = node.get("type")
    if kind == "boolean":
        return [True, False]
    if kind == "integer":
        low, high = node.get("minimum", 1), node.get("maximum", 10**6)
        return [v for v in (low, low + 1, 2 * low + 10, 100, 3000) if low <= v <= high]
    return [*ALTERNATIVES.get(field, []), *seen.get(field, []), *seen.get(LIKE.get(field, ""), [])]


def _put(data: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """`data` with `field` set to `value` (its parents made where missing)."""
    out = copy.deepcopy(data)
    node: Any = out
    parts = field.split(".")
    for n, part in enumerate(parts):
        items = part.endswith("[]")
        name = part[:-2] if items else part
        if name == "*":
            name = next(iter(node), "x") if node else "x"
        last = n == len(parts) - 1
        if last and not items:
            node[name] = value
            break
        child = node.setdefault(name, [{}] if items else {})
        node = child[0] if items else child
        if last:
            break
    return out


def _added(
    raw: RawCluster, data: dict[str, Any], field: str, seen: dict[str, list[Any]], key: str
) -> str:
    """How adding `field` to `data` (which lacks it) changes the output ("" where no
    value the schema allows does)."""
    base = _rendered_base(raw.id) if data is raw.data else _render(raw, data)
    if base is None:
        return ""
    for value in _candidates(field, seen, key):
        try:
            added = _put(data, field, value)
        except (TypeError, AttributeError, IndexError):
            return ""  # a list of names where the field is in a mapping, or an empty list
        out = _render(raw, added)
        if out is not None and out != base:
            return f"{raw.id}: {field} set to {value!r}"
    return ""


def _proofs() -> dict[tuple[str, str], str]:
    """(field, engine key) -> how an example shows the field changes the output."""
    proven: dict[tuple[str, str], str] = {}
    for field, key in _wanted():
        seen = _seen_for(key)
        for raw in _examples().get(key, []):
            proof = _prove(raw, raw.data, field, seen, key) or _added(
                raw, raw.data, field, seen, key
            )
            if not proof and field in SAMPLES:
                try:
                    sample = _sample(field, key)
                except AssertionError:
                    sample = None
                if sample is not None:
                    data = _apply(raw.data, sample)
                    proof = _prove(raw, data, field, seen, key) or _added(
                        raw, data, field, seen, key
                    )
            if proof:
                proven[field, key] = proof
                break
    # A block is honoured where one of its fields is.
    for field, key in _wanted():
        if (field, key) not in proven:
            inner = [
                f for (f, k) in proven if k == key and f.startswith((field + ".", field + "[]"))
            ]
            if inner:
                proven[field, key] = f"through {inner[0]}"
    return proven


def _wanted() -> dict[tuple[str, str], Honoured]:
    """The honoured (field, engine) cells that must show in the output."""
    out = {}
    for field, row in CAPABILITIES.items():
        for key, cap in row.items():
            if isinstance(cap, Honoured) and not cap.no_output and capability(field, key) is cap:
                out[field, key] = cap
    return out


#: Honoured cells no example or sample shows in the output yet, each to be proven by a
#: sample (SAMPLES, ALTERNATIVES) and then removed here: the test fails when this list and
#: what is proven disagree either way. `cloud` and `engine` choose the engine itself.
NOT_SHOWN_YET: dict[str, str] = {
    "addons[].name": "tke",
    "aks.autoscalerProfile.emptyBulkDeleteMax": "aks",
    "aks.autoscalerProfile.maxGracefulTerminationSec": "aks",
    "aks.keyVaultId": "aks",
    "aks.outboundType": "aks",
    "aks.privateDnsZoneId": "aks",
    "aks.spotMaxPrice": "aks",
    "aks.systemPool": "aks",
    "alibaba": "ack",
    "alibaba.resourceGroupId": "ack",
    "backend.type": "iks oke",
    "cloud": "ack aks cce doks eks gke iks kops:aws kops:azure kops:gcp oke tke",
    "doks.maintenanceStartTime": "doks",
    "eks.autoprovisioning": "eks",
    "encryption": "aks",
    "encryption.secretsKey": "aks",
    "engine": "ack aks cce doks eks gke iks kops:aws kops:azure kops:gcp oke tke",
    "kops.apiLoadBalancer": "kops:azure kops:gcp",
    "kops.apiLoadBalancer.dnsOnly": "kops:gcp",
    "kops.clusterSpec": "kops:azure kops:gcp",
    "kops.discoveryStore": "kops:gcp",
    "kops.sharedVpcIds": "kops:aws",
    "kops.sharedVpcIds.networkId": "kops:aws",
    "kops.sharedVpcIds.subnetIds": "kops:aws",
    "kops.sharedVpcIds.subnetIds.*": "kops:aws",
    "network.cni": "oke",
    "network.existing": "doks iks kops:aws kops:gcp",
    "network.existing.additionalCidrs": "kops:aws",
    "network.existing.cidr": "kops:aws kops:azure kops:gcp",
    "network.existing.networkId": "doks iks kops:aws kops:gcp",
    "network.existing.subnetIds": "aks doks gke iks kops:aws kops:azure kops:gcp",
    "network.podCidr": "ack",
    "network.topology": "kops:gcp",
    "nodePools.*.diskType": "aks kops:gcp",
    "nodePools.*.kops.spec": "kops:azure kops:gcp",
    "nodePools.*.zones": "iks kops:gcp",
    "zones": "kops:azure",
}


def test_an_honoured_field_changes_the_output() -> None:
    # Each honoured (field, engine) is shown by an example, or a sample, whose output
    # changes when the field does; a field honoured without output says why in the table.
    proven = _proofs()
    missing = set(_wanted()) - set(proven)
    listed = {(f, k) for f, keys in NOT_SHOWN_YET.items() for k in keys.split()}
    assert sorted(missing - listed) == [], "honoured, but no example changes the output"
    assert sorted(listed - missing) == [], "shown now: remove it from NOT_SHOWN_YET"
    assert len(proven) > 700
    # No variant of an example made validation raise (a traceback is a bug of its own).
    assert CRASHES == []


def test_no_output_needs_a_reason_and_the_field_stays_valid() -> None:
    for field, row in CAPABILITIES.items():
        for key, cap in row.items():
            if isinstance(cap, Honoured) and cap.no_output:
                assert len(cap.no_output) > 20, (field, key)


@pytest.mark.parametrize(
    ("field", "key"),
    sorted(
        (f, k)
        for f, row in CAPABILITIES.items()
        for k, c in row.items()
        if (isinstance(c, Honoured) and c.values and f in ("network.cni", "nodePools.*.image"))
        or (isinstance(c, Honoured) and c.what)
    ),
)
def test_the_values_the_table_lists_are_taken_and_others_refused(field: str, key: str) -> None:
    cap = CAPABILITIES[field][key]
    assert isinstance(cap, Honoured)
    raw = _example(key, pools=field.startswith("nodePools"))
    path = _concrete_path(field, raw.data)
    for value in (*cap.values, "no-such-value"):
        data = _put(
            raw.data,
            field.replace("nodePools.*", f"nodePools.{path.split('.')[1]}")
            if field.startswith("nodePools")
            else field,
            value,
        )
        _, issues = _check(raw, data)
        at = [str(i) for i in issues if i.path == path]
        if value == "no-such-value":
            assert at, f"{key} takes {field} {value!r}"
        else:
            # The refusal of a value outside the list quotes it; a listed value may still
            # meet a rule of another field (Autopilot and calico, a family's disks).
            assert not [m for m in at if repr(value) in m], at


def test_the_docs_page_is_the_table() -> None:
    page = ROOT / "docs" / "capabilities.md"
    assert page.read_text(encoding="utf-8") == capabilities.capabilities_markdown(), (
        "docs/capabilities.md is stale: run .venv/bin/python -m treeform.capabilities > "
        "docs/capabilities.md"
    )
