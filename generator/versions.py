"""Kubernetes versions across engines: each engine's table, how far a node pool may trail
its control plane, and how far one generate may move a cluster.

Three rules, each an issue at the field that breaks it:

- the table: a version older than an engine's table is an error; a newer one is accepted
  with a warning (the cloud decides, treeform's table is dated); `MODEL/.treeform.yaml`
  `versions: {ENGINE: [...]}` adds minors to a table;
- the skew: `nodePools.<p>.kubernetesVersion` holds a pool back, never newer than the
  control plane and at most the engine's documented number of minors older;
- one minor at a time: against the version the last generate rendered into the output (its
  model record), a jump of more than one minor or a downgrade is an error on the engines
  whose cloud refuses it, naming the next allowed step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from treeform.errors import Issue, as_warning
from treeform.model import Cluster

_VERSION = re.compile(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+))?\Z")


@dataclass(frozen=True)
class VersionPolicy:
    """What an engine's cloud allows between versions (sources in docs/engines/*.md)."""

    #: Minors a node pool may trail its control plane; None: no pool can be held back.
    pool_skew: int | None
    #: Why a pool cannot be held back (pool_skew None), or the skew rule in the cloud's words.
    rule: str
    #: The cloud upgrades one minor at a time and never downgrades in place.
    one_minor: bool = True
    #: A minor newer than the table renders without a patch (False: the engine needs the
    #: model to name the patch of a minor treeform does not know).
    floats_beyond_table: bool = True
    #: Said (as a warning) whenever a generate changes the cluster's version.
    upgrade_note: str = ""
    #: Minors between two releases beyond the table (TKE releases even minors only).
    release_step: int = 1


POLICIES: dict[str, VersionPolicy] = {
    "eks": VersionPolicy(
        3,
        "EKS nodes may be up to 3 minor versions older than the control plane, never newer "
        "(the Kubernetes version skew policy since 1.28)",
    ),
    "aks": VersionPolicy(
        2,
        "AKS node pools must be within 2 minor versions of the control plane and not newer",
    ),
    "gke": VersionPolicy(
        None,
        "GKE node pools are in the cluster's release channel and auto-upgrade after the "
        "control plane, so a pool cannot be held at an older version",
    ),
    "doks": VersionPolicy(
        None, "DOKS upgrades every node pool with the cluster; a pool has no version of its own"
    ),
    "tke": VersionPolicy(
        None,
        "TKE node pools have no version of their own: upgrade_instances_follow_cluster "
        "upgrades every node with the cluster",
        floats_beyond_table=False,
        release_step=2,
    ),
    "ack": VersionPolicy(
        None,
        "ACK node pools have no version treeform can hold: their kubelet is upgraded to the "
        "control plane's (management.auto_upgrade)",
    ),
    "cce": VersionPolicy(
        None,
        "CCE node pools have no version of their own; CCE upgrades nodes with the cluster",
        one_minor=False,
        upgrade_note=(
            "the huaweicloud provider does not upgrade a CCE cluster when cluster_version "
            "changes: upgrade it in CCE (console, API or huaweicloud_cce_cluster_upgrade) "
            "before applying this change"
        ),
    ),
    "iks": VersionPolicy(
        None,
        "IKS worker pools have no version of their own: update_all_workers upgrades every "
        "worker with the master",
    ),
    "oke": VersionPolicy(
        3,
        "OKE worker nodes may be up to 3 minor versions older than the control plane "
        "(2 before Kubernetes 1.28), never newer",
        floats_beyond_table=False,
    ),
    "kops": VersionPolicy(
        None,
        "kOps instance groups run the Cluster's kubernetesVersion; an instance group has no "
        "version of its own",
    ),
}

#: Minors added by `MODEL/.treeform.yaml` `versions:`, per engine, for the current run.
_EXTENSIONS: dict[str, tuple[str, ...]] = {}


def use_extensions(extensions: Mapping[str, tuple[str, ...]]) -> None:
    """Set the table extensions of this run (the model tree's settings)."""
    _EXTENSIONS.clear()
    _EXTENSIONS.update(extensions)


def fingerprint_salt() -> str:
    """What the extensions add to every cluster's fingerprint: nothing without any, so
    that a tree without them keeps its fingerprints."""
    return "" if not _EXTENSIONS else "\0versions:" + json.dumps(_EXTENSIONS, sort_keys=True)


def parse(version: str) -> tuple[int, ...] | None:
    m = _VERSION.match(version)
    if m is None:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def minor_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _key(minor: str) -> tuple[int, ...]:
    return parse(minor) or (0, 0)


def offered(engine: Any) -> tuple[str, ...]:
    """The engine's table with the run's extensions, oldest first."""
    extra = _EXTENSIONS.get(engine.name, ())
    return tuple(sorted(set(engine.versions) | set(extra), key=_key))


def table_issues(cluster: Cluster, engine: Any) -> Iterator[Issue]:
    """The cluster's version against the engine's table; a version newer than the table
    adds a warning to `cluster.warnings`."""
    minor = cluster.minor_version
    table = offered(engine)
    policy = POLICIES.get(engine.name)
    if minor in table:
        lts = getattr(engine, "lts_versions", ())
        if minor in lts:
            yield cluster.issue(
                "kubernetesVersion",
                f"{engine.name} runs Kubernetes {minor} only under long-term support (the "
                "Premium tier and support plan AKSLongTermSupport), which treeform does not "
                f"set up; choose one of {', '.join(v for v in table if v not in lts)}",
            )
        return
    if table and _key(minor) > _key(table[-1]):
        if (
            policy is not None
            and not policy.floats_beyond_table
            and minor == (cluster.kubernetes_version)
        ):
            yield cluster.issue(
                "kubernetesVersion",
                f"{engine.name} needs the patch of a version newer than treeform's table "
                f"(newest {table[-1]}, as of {engine.versions_taken}): write it, e.g. "
                f'"{minor}.1"',
            )
            return
        cluster.warnings.append(
            as_warning(
                cluster.issue(
                    "kubernetesVersion",
                    f"Kubernetes {cluster.kubernetes_version} is not in treeform's "
                    f"{engine.name} table of {engine.versions_taken} (newest {table[-1]}); "
                    "the cloud decides",
                )
            )
        )
        return
    yield cluster.issue(
        "kubernetesVersion",
        f"{engine.name} does not offer Kubernetes {cluster.kubernetes_version}; it offers "
        f"{', '.join(table)} (as of {engine.versions_taken})",
    )


def pool_issues(cluster: Cluster, engine: Any) -> Iterator[Issue]:
    """Each held-back pool against the engine's skew rule."""
    policy = POLICIES.get(engine.name)
    control = parse(cluster.kubernetes_version)
    for name, pool in cluster.node_pools.items():
        version = pool.kubernetes_version
        if version is None:
            continue
        path = ("nodePools", name, "kubernetesVersion")
        if policy is None or policy.pool_skew is None:
            continue  # refused by the capability table (capabilities.py)
        if engine.name == "eks" and cluster.settings.get("eksctl"):
            yield cluster.issue(
                path,
                "the eksctl ClusterConfig (eks.eksctl: true) has no version per managed node "
                "group (eksctl upgrade nodegroup sets it), so the pool would differ between "
                "the Terraform and the eksctl config; hold it back without eks.eksctl",
            )
            continue
        if engine.name == "aks":
            pinned = cluster.kubernetes_version.count(".") == 2
            channel = cluster.settings.get("automaticUpgradeChannel") or (
                "node-image" if pinned else "patch"
            )
            if channel != "node-image":
                yield cluster.issue(
                    path,
                    "aks upgrades every node pool with the control plane on the automatic "
                    f"upgrade channel {channel!r}; set aks.automaticUpgradeChannel: "
                    "node-image to hold a pool back",
                )
                continue
        pool_v = parse(version)
        if pool_v is None or control is None:
            continue
        minor = minor_of(version)
        # A minor floats on its latest patch: patches compare only where both name one.
        newer = pool_v[:2] > control[:2] or (len(pool_v) == len(control) == 3 and pool_v > control)
        if pool_v[0] != control[0] or newer:
            yield cluster.issue(
                path,
                f"node pool version {version} is newer than the control plane's "
                f"{cluster.kubernetes_version}; {policy.rule}",
            )
            continue
        if control[1] - pool_v[1] > policy.pool_skew:
            oldest = f"{control[0]}.{control[1] - policy.pool_skew}"
            yield cluster.issue(
                path,
                f"node pool version {version} is {control[1] - pool_v[1]} minor versions "
                f"older than the control plane's {cluster.kubernetes_version}; "
                f"{policy.rule}: {oldest} at the oldest",
            )
            continue
        table = offered(engine)
        if table and _key(minor) < _key(table[0]):
            yield cluster.issue(
                path,
                f"{engine.name} does not offer Kubernetes {version}; it offers "
                f"{', '.join(table)} (as of {engine.versions_taken})",
            )


def record_versions(record: Any) -> tuple[str, str, str, dict[str, str]] | None:
    """(cloud, engine, control-plane version, {pool: its version}) of a model record as
    generate wrote it, or None for anything else (the output is not trusted)."""
    model = record.get("model") if isinstance(record, dict) else None
    if not isinstance(model, dict):
        return None
    version = model.get("kubernetesVersion")
    cloud, engine = model.get("cloud"), model.get("engine")
    if not isinstance(version, str) or parse(version) is None:
        return None
    if not isinstance(cloud, str) or not isinstance(engine, str):
        return None
    pools: dict[str, str] = {}
    raw_pools = model.get("nodePools")
    if isinstance(raw_pools, dict):
        for name, pool in raw_pools.items():
            held = pool.get("kubernetesVersion") if isinstance(pool, dict) else None
            if isinstance(held, str) and parse(held) is not None:
                pools[str(name)] = held
            else:
                pools[str(name)] = version
    return cloud, engine, version, pools


def upgrade_issues(
    cluster: Cluster, engine: Any, before: tuple[str, str, str, dict[str, str]]
) -> list[Issue]:
    """The change from the version the last generate rendered (`before`, see
    `record_versions`) to the cluster's: errors for a skipped minor or a downgrade where
    the cloud refuses them; a note where the engine asks for one (in `cluster.warnings`)."""
    cloud, engine_name, old, old_pools = before
    if (cloud, engine_name) != (cluster.cloud, cluster.engine):
        return []  # another engine: a new cluster, whatever the version
    policy = POLICIES.get(cluster.engine)
    if policy is None:
        return []
    new = cluster.kubernetes_version
    a, b = parse(minor_of(old)), parse(cluster.minor_version)
    if a is None or b is None:
        return []
    if a != b and policy.upgrade_note:
        cluster.warnings.append(
            as_warning(cluster.issue("kubernetesVersion", f"{old} -> {new}: {policy.upgrade_note}"))
        )
    if not policy.one_minor:
        return []
    table = offered(engine)
    step = next((v for v in table if _key(v) > a), f"{a[0]}.{a[1] + policy.release_step}")
    issues = []
    if b < a:
        issues.append(
            cluster.issue(
                "kubernetesVersion",
                f"{old} -> {new} is a downgrade, which {cluster.engine} refuses: the last "
                f"generate rendered {old} into the output; stay at {minor_of(old)} or "
                f"upgrade to {step}",
            )
        )
    elif b > _key(step) or (b[0] != a[0]):
        issues.append(
            cluster.issue(
                "kubernetesVersion",
                f"{old} -> {new} skips a minor version: {cluster.engine} upgrades the "
                f"control plane one minor at a time, and the last generate rendered {old} "
                f"into the output; the next allowed step is {step}",
            )
        )
    for name, pool in cluster.node_pools.items():
        was = old_pools.get(name)
        now = pool.kubernetes_version or new
        pa, pb = parse(minor_of(was)) if was else None, parse(minor_of(now))
        if pa is not None and pb is not None and pb < pa:
            field = "kubernetesVersion" if pool.kubernetes_version else None
            path = ("nodePools", name, field) if field else ("kubernetesVersion",)
            issues.append(
                cluster.issue(
                    path,
                    f"node pool {name} would go from {was} down to {now}, which "
                    f"{cluster.engine} refuses: node pools cannot be downgraded in place",
                )
            )
    return issues
