"""Validation in two stages with one error shape: the JSON Schema checks structure, then the
rules every engine shares and each provider's own rules check meaning. Every problem of
every cluster is collected before anything is reported.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from treeform import versions
from treeform.capabilities import unhonoured_issues
from treeform.errors import Issue, Location, ModelError, shown
from treeform.model import Cluster, build_cluster
from treeform.names import MAX_CLUSTER_NAME
from treeform.providers import PROVIDERS
from treeform.providers.base import Engine, Provider
from treeform.providers.common import backend_issues, state_address
from treeform.resources import schemas_dir
from treeform.tree import RawCluster
from treeform.yamlload import FieldPath, format_path

_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


@cache
def cluster_schema() -> dict[str, Any]:
    with (schemas_dir() / "cluster.schema.json").open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """A schema pattern as JSON Schema (ECMA-262) reads it: `$` is the end of the string,
    where Python's `$` also matches before a final newline ("web\\n" is no DNS label)."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    import jsonschema

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator() -> Any:
    """jsonschema's validator, for its error messages: imported only when a cluster fails
    the fast check (importing it costs a run as much as checking a thousand clusters)."""
    import jsonschema

    extended = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {"pattern": _pattern}
    )
    return extended(cluster_schema())


def yes_no_check(schema: Any) -> Callable[[Any], bool]:
    """A fast "is this valid?" for `schema`, by jsonschema-rs (Rust: about 5x faster than the
    check we compiled ourselves before, 30x faster than jsonschema). Its regexes are
    ECMA-262's, like `_ecma_regex`; tests/test_schemacheck.py holds it to jsonschema's answer.
    False means "ask jsonschema", which also words the errors."""
    import jsonschema_rs

    check = jsonschema_rs.validator_for(schema, validate_formats=False).is_valid

    def is_valid(instance: Any) -> bool:
        try:
            return bool(check(instance))
        except (ValueError, OverflowError):
            # What JSON cannot hold (a mapping key that is not a string): jsonschema words it.
            return False

    return is_valid


@cache
def _is_valid() -> Callable[[Any], bool]:
    """The cluster schema's fast check: most clusters are valid, and only the others need
    jsonschema's errors."""
    return yes_no_check(cluster_schema())


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)


def _schema_issues(raw: RawCluster) -> Iterator[Issue]:
    if _is_valid()(raw.data):
        return
    prov = raw.provenance
    for error in _validator().iter_errors(raw.data):
        path: FieldPath = tuple(error.absolute_path)
        if "propertyNames" in error.schema_path and isinstance(error.instance, str):
            # A bad mapping key: point at the key itself.
            path = (*path, error.instance)
            if error.validator == "pattern":
                wants = error.schema.get("x-pattern-message") or str(error.message)
            elif error.validator == "maxLength":
                wants = f"is longer than {error.validator_value} characters"
            else:
                wants = str(error.message)
            yield Issue(prov.where(path, key=True), format_path(path), f"invalid name: {wants}")
            continue
        where = prov.where(path)
        validator = error.validator
        if validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                hint = difflib.get_close_matches(key, allowed, n=1)
                message = f"unknown field {key!r}"
                message += (
                    f"; did you mean {hint[0]!r}?"
                    if hint
                    else (f"; known fields: {', '.join(allowed)}" if allowed else "")
                )
                child = (*path, key)
                yield Issue(prov.where(child, key=True), format_path(child), message)
            continue
        if validator == "required":
            missing = str(error.message).split("'")[1]
            yield Issue(where, format_path((*path, missing)), "missing required field")
            continue
        if validator == "enum":
            options = [str(o) for o in error.validator_value]
            hint = difflib.get_close_matches(str(error.instance), options, n=1)
            message = f"{_describe(error.instance)} is not one of: {', '.join(options)}"
            if hint:
                message += f"; did you mean {hint[0]!r}?"
            yield Issue(where, format_path(path), message)
            continue
        if validator == "type":
            wanted = error.validator_value
            names = {"array": "list", "object": "mapping"}
            wanted = (
                " or ".join(names.get(str(w), str(w)) for w in wanted)
                if isinstance(wanted, list)
                else names.get(str(wanted), str(wanted))
            )
            article = "an" if wanted[0] in "aeiou" else "a"
            got = _type_name(error.instance)
            message = f"must be {article} {wanted}, not {'an' if got[0] in 'aeiou' else 'a'} {got}"
            if path and path[-1] == "kubernetesVersion" and isinstance(error.instance, float):
                message += " (quote the version: YAML reads 1.30 as the number 1.3)"
            if path[:1] == ("maintenance",) and isinstance(error.instance, int):
                message += " (quote the time: YAML reads 22:00 as the number 1320)"
            yield Issue(where, format_path(path), message)
            continue
        if validator == "uniqueItems" and isinstance(error.instance, list):
            repeated = next(v for i, v in enumerate(error.instance) if v in error.instance[:i])
            yield Issue(where, format_path(path), f"lists {_describe(repeated)} more than once")
            continue
        if validator == "minItems" and error.validator_value == 1:
            yield Issue(where, format_path(path), "must not be empty; leave it out instead")
            continue
        if validator == "pattern":
            # Schemas say in words what a pattern wants (`x-pattern-message`).
            wants = error.schema.get("x-pattern-message")
            message = f"{_describe(error.instance)} " + (
                wants or f"does not match {error.validator_value}"
            )
            yield Issue(where, format_path(path), message)
            continue
        # Schemas say in words what a combination of rules wants (`x-message`).
        wants = error.schema.get("x-message")
        message = f"{_describe(error.instance)} {wants}" if wants else str(error.message)
        yield Issue(where, format_path(path), message)


def _qualified_name_problem(key: str) -> str | None:
    """Why `key` is not a Kubernetes qualified name (label or taint key), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return "has more than one '/'"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} is not a DNS subdomain"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return (
            "name part must be 1-63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _label_value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        return (
            "must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _cidr_issues(cluster: Cluster) -> Iterator[Issue]:
    fields: list[tuple[FieldPath, str | None]] = [
        (("network", "cidr"), cluster.network.cidr if "network" in cluster.data else None),
        (("network", "podCidr"), cluster.network.pod_cidr),
        (("network", "serviceCidr"), cluster.network.service_cidr),
    ]
    for i, allowed in enumerate(cluster.api_server.allowed_cidrs):
        fields.append((("apiServer", "allowedCidrs", i), allowed))
    nets: dict[FieldPath, Any] = {}
    for path, cidr in fields:
        if cidr is None:
            continue
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            loose = _network(cidr)
            if loose is not None and "host bits" in str(exc):
                yield cluster.issue(path, f"{cidr} has host bits set; did you mean {loose}?")
            else:
                yield cluster.issue(path, f"{cidr!r} is not a valid CIDR block")
            continue
        nets[path] = net
    ranges = [p for p in nets if p[0] == "network"]
    for i, a in enumerate(ranges):
        for b in ranges[i + 1 :]:
            if nets[a].overlaps(nets[b]):
                yield cluster.issue(
                    b, f"{nets[b]} overlaps {format_path(a)} {nets[a]}; the ranges must be apart"
                )
    vpc = nets.get(("network", "cidr"))
    if vpc is not None and not 16 <= vpc.prefixlen <= 24:
        yield cluster.issue(
            ("network", "cidr"), f"{vpc} must be between /16 and /24 to hold the subnets"
        )


def _machine_field_issues(cluster: Cluster, name: str) -> Iterator[Issue]:
    """machineType and machineTypes: exactly one of the two."""
    given = cluster.data["nodePools"][name]
    if "machineType" in given and "machineTypes" in given:
        yield cluster.issue(
            ("nodePools", name, "machineTypes"),
            "machineType and machineTypes exclude each other; keep one (set machineType: null "
            "to drop an inherited one)",
        )
    elif "machineType" not in given and "machineTypes" not in given:
        yield cluster.issue(
            ("nodePools", name, "machineType"),
            "missing required field (or machineTypes, for several types)",
        )


def _pool_issues(cluster: Cluster) -> Iterator[Issue]:
    for name, pool in cluster.node_pools.items():
        base = ("nodePools", name)
        if pool.min_size > pool.max_size:
            yield cluster.issue(
                (*base, "minSize"),
                f"minSize {pool.min_size} is greater than maxSize {pool.max_size}",
            )
        yield from _machine_field_issues(cluster, name)
        given = "desiredSize" in cluster.data["nodePools"][name]
        if given and not pool.min_size <= pool.desired_size <= pool.max_size:
            yield cluster.issue(
                (*base, "desiredSize"),
                f"desiredSize {pool.desired_size} is outside minSize..maxSize "
                f"({pool.min_size}..{pool.max_size})",
            )
        if pool.zones_given:
            for i, zone in enumerate(pool.zones):
                if zone not in cluster.zones:
                    yield cluster.issue(
                        (*base, "zones", i),
                        f"zone {zone!r} is not one of the cluster's zones "
                        f"({', '.join(cluster.zones)})",
                    )
        for key, value in pool.labels.items():
            problem = _qualified_name_problem(key)
            if problem:
                yield cluster.issue(
                    (*base, "labels", key), f"label key {shown(key)} {problem}", key=True
                )
            problem = _label_value_problem(value)
            if problem:
                yield cluster.issue((*base, "labels", key), f"label value {shown(value)} {problem}")
        for i, taint in enumerate(pool.taints):
            problem = _qualified_name_problem(taint.key)
            if problem:
                yield cluster.issue(
                    (*base, "taints", i, "key"), f"taint key {shown(taint.key)} {problem}"
                )
            problem = _label_value_problem(taint.value)
            if problem:
                yield cluster.issue(
                    (*base, "taints", i, "value"), f"taint value {shown(taint.value)} {problem}"
                )


def common_issues(cluster: Cluster, provider: Provider, engine: Engine) -> Iterator[Issue]:
    """The rules every engine shares."""
    zones = provider.regions.get(cluster.region)
    if zones is None:
        known = sorted(provider.regions)
        hint = difflib.get_close_matches(cluster.region, known, n=1)
        yield cluster.issue(
            "region",
            f"unknown {provider.name} region {cluster.region!r}"
            + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(known)}"),
        )
    elif cluster.zones_given:
        for i, zone in enumerate(cluster.zones):
            if zone not in zones:
                yield cluster.issue(
                    ("zones", i),
                    f"zone {zone!r} is not in region {cluster.region} "
                    f"(its zones: {', '.join(zones)})",
                )
    if (
        cluster.high_availability
        and engine.ha_min_zones
        and len(cluster.zones) < engine.ha_min_zones
        and (zones is not None or cluster.zones_given)
    ):
        # Without `zones` the cluster has the region's zones: the region is what falls short.
        yield cluster.issue(
            "zones" if cluster.zones_given else "region",
            f"highAvailability needs at least {engine.ha_min_zones} zones for {engine.name}, "
            + (
                f"the cluster has {len(cluster.zones)}"
                if cluster.zones_given
                else f"region {cluster.region} has {len(cluster.zones) or 'no availability'} zones"
            ),
        )
    yield from versions.table_issues(cluster, engine)
    yield from versions.pool_issues(cluster, engine)
    for i, addon in enumerate(cluster.addons):
        if addon not in engine.addons:
            yield cluster.issue(
                ("addons", i),
                f"{engine.name} cannot run addon {addon!r}; known addons: "
                f"{', '.join(sorted(engine.addons))}",
            )
    seen_addons: set[str] = set()
    for i, addon in enumerate(cluster.addons):
        if addon in seen_addons:
            yield cluster.issue(("addons", i), f"addon {addon!r} is listed more than once")
        seen_addons.add(addon)
    yield from unhonoured_issues(cluster)
    yield from _day2_issues(cluster)
    limit = MAX_CLUSTER_NAME.get(engine.name)
    if limit is not None and len(cluster.name) > limit:
        yield cluster.issue("name", f"{engine.name} cluster names are at most {limit} characters")
    yield from backend_issues(cluster)
    yield from _cidr_issues(cluster)
    yield from _pool_issues(cluster)


def _day2_issues(cluster: Cluster) -> Iterator[Issue]:
    """The shared rules of maintenance windows and access grants."""
    m = cluster.maintenance
    if m is not None:
        for i, e in enumerate(m.exclusions):
            start, end = _instant(e.start), _instant(e.end)
            for name, value, text in (("start", start, e.start), ("end", end, e.end)):
                if value is None:
                    yield cluster.issue(
                        ("maintenance", "exclusions", i, name), f"{text} is not a calendar date"
                    )
            if start is not None and end is not None and end <= start:
                yield cluster.issue(
                    ("maintenance", "exclusions", i, "end"), f"{e.end} is not after start {e.start}"
                )
    for i, grant in enumerate(cluster.access):
        if grant.role == "cluster-admin" and grant.namespaces:
            yield cluster.issue(
                ("access", i, "namespaces"),
                "cluster-admin is the whole cluster; use admin, edit or view in namespaces",
            )


def _instant(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # the schema's pattern lets 2026-02-31 through
        return None


def _without(data: Any, path: FieldPath) -> Any:
    """A copy of `data` without the value at `path` (a whole list for a path into one)."""
    if not path or not isinstance(data, dict) or path[0] not in data:
        return data
    head, rest = path[0], path[1:]
    if not rest or not isinstance(data[head], dict):
        return {k: v for k, v in data.items() if k != head}
    return {**data, head: _without(data[head], rest)}


def _schema_valid_part(raw: RawCluster, issues: list[Issue]) -> RawCluster | None:
    """The cluster without the values the schema rejected, if what is left is valid, so that
    the semantic rules still run on the rest and every error is reported at once."""
    data = raw.data
    for _ in range(3):
        errors = list(_validator().iter_errors(data))
        if not errors:
            return RawCluster(raw.id, raw.file, data, raw.provenance)
        for error in errors:
            path = tuple(error.absolute_path)
            if error.validator == "additionalProperties":
                for key in set(error.instance) - set(error.schema.get("properties", {})):
                    data = _without(data, (*path, key))
            elif path:
                data = _without(data, path)
            else:
                return None
    return None


def _repeats(issue: Issue, refused: set[str]) -> bool:
    """Whether a rule's issue only repeats a schema error: it is at a refused value, or it
    finds a field missing whose alternative the schema refused (machineType when
    machineTypes was refused)."""
    if issue.path in refused:
        return True
    return issue.message.startswith("missing required field") and any(
        r.startswith(issue.path) for r in refused
    )


def _cluster_issues(raw: RawCluster) -> tuple[Cluster | None, list[Issue]]:
    issues = list(_schema_issues(raw))
    if issues:
        valid_part = _schema_valid_part(raw, issues)
        if valid_part is None:
            return None, issues
        _, semantic = _cluster_issues(valid_part)
        # A value the schema refused was left out of the valid part: the rules that then
        # find it missing would only repeat the schema's error in other words.
        refused = {i.path for i in issues}
        return None, issues + [i for i in semantic if not _repeats(i, refused)]
    data = raw.data
    provider = PROVIDERS.get(data["cloud"])
    if provider is None:
        return None, [
            Issue(
                raw.provenance.where(("cloud",)),
                "cloud",
                f"cloud {data['cloud']!r} has no provider in this treeform; "
                f"known: {', '.join(sorted(PROVIDERS))}",
            )
        ]
    engine = provider.engines.get(data["engine"])
    if engine is None:
        known = ", ".join(sorted(provider.engines))
        return None, [
            Issue(
                raw.provenance.where(("engine",)),
                "engine",
                f"engine {data['engine']!r} does not run on cloud {data['cloud']!r} "
                f"(set at {raw.provenance.where(('cloud',))}); {data['cloud']} engines: {known}",
            )
        ]
    cluster = build_cluster(raw, provider.default_zones(data["region"]))
    issues.extend(common_issues(cluster, provider, engine))
    issues.extend(provider.validate(cluster))
    issues.extend(engine.validate(cluster))
    return cluster, issues


@dataclass(frozen=True)
class StateClaim:
    """Where one cluster puts its Terraform state, and what to say if another one does too
    (small, so that worker processes can send it back)."""

    address: str
    id: str
    file: str
    remote: bool  # Terraform Cloud / remote: the workspace comes from the id
    #: An issue at the backend setting that places the state, message to fill; None for a
    #: cluster not read in this run (reused), located by `shared_state_issues`'s `locate`.
    blame: Issue | None


def state_claim(cluster: Cluster) -> StateClaim | None:
    address = state_address(cluster)
    if address is None:
        return None
    settings = cluster.backend.settings
    remote = cluster.backend.type in ("cloud", "remote")
    if remote:
        blame = Issue(Location(cluster.file), "backend", "")  # the id is the cause
    else:
        field = next(
            (
                ("backend", key)
                for key in ("keyPrefix", "bucket", "storageAccountName", "organization")
                if key in settings
            ),
            ("backend",),
        )
        blame = cluster.issue(field, "")
    return StateClaim(address, cluster.id, cluster.file, remote, blame)


def shared_state_issues(
    clusters: Iterable[Cluster | StateClaim | None],
    locate: Callable[[StateClaim], StateClaim] | None = None,
) -> Iterator[Issue]:
    """Two clusters can never share a Terraform state: each one after the first that would
    is an error at the backend setting that puts it there, naming both cluster files.
    `locate` gives the full claim of a cluster that was not read (its blame is None)."""
    first: dict[str, StateClaim] = {}
    for item in clusters:
        claim = state_claim(item) if isinstance(item, Cluster) else item
        if claim is None:
            continue
        other = first.setdefault(claim.address, claim)
        if other is claim:
            continue
        if claim.blame is None and locate is not None:
            claim = locate(claim)
        fix = (
            "rename one of them (the workspace is the id with '/' replaced by '-')"
            if claim.remote
            else "give one of them another backend.keyPrefix (or bucket)"
        )
        message = (
            f"cluster {claim.id} ({claim.file}) would share its Terraform state "
            f"{claim.address} with cluster {other.id} ({other.file}); {fix}, so that each "
            "cluster has a state of its own"
        )
        blame = claim.blame or Issue(Location(claim.file), "backend", "")
        yield dataclasses.replace(blame, message=message)


def validate_each(
    raws: Iterable[RawCluster], issues: Iterable[Issue] = ()
) -> tuple[list[Cluster], list[Issue]]:
    """The typed clusters that passed, and every issue of the others (each cluster on its
    own; the rules across clusters are `shared_state_issues`)."""
    clusters: list[Cluster] = []
    found = list(issues)
    for raw in raws:
        cluster, cluster_issues = _cluster_issues(raw)
        found.extend(cluster_issues)
        if cluster is not None and not cluster_issues:
            clusters.append(cluster)
    return clusters, found


def validate_model(raws: Iterable[RawCluster], issues: Iterable[Issue] = ()) -> list[Cluster]:
    """Typed clusters of a valid model; raises ModelError with every issue otherwise
    (`issues` are those found while loading the tree, reported with the rest)."""
    clusters, found = validate_each(raws, issues)
    found.extend(shared_state_issues(clusters))
    if found:
        raise ModelError(found)
    return clusters
