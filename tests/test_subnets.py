"""The network layouts of `treeform.providers.subnets`: the ranges each gives, that no two
of a layout's subnets overlap (nor the pod and service ranges in effect), that every zone up
to a layout's cap gets its subnets, and that one zone more is an error at `zones` naming
the engine and the cap, never a silent drop."""

from __future__ import annotations

import ipaddress
import itertools
import re
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT, issues_of, render_tree, write_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from treeform.model import Network
from treeform.pipeline import load_clusters
from treeform.providers import PROVIDERS
from treeform.providers.alibaba import ack
from treeform.providers.azure import aks
from treeform.providers.subnets import (
    KOPS_SLOTS,
    ZONAL_EIGHTHS_MAX_ZONES,
    CarveError,
    ZoneCapError,
    aks_subnets,
    cce_subnets,
    gke_ranges,
    kops_ipv6_subnets,
    kops_max_zones,
    kops_subnets,
    oke_subnets,
    zonal_eighths,
)
from treeform.providers.tencent import tke

Net = ipaddress.IPv4Network


@st.composite
def networks(draw: st.DrawFn) -> str:
    """A network range as the model allows it (/16 to /24), anywhere in IPv4."""
    prefix = draw(st.integers(16, 24))
    base = draw(st.integers(0, (1 << prefix) - 1)) << (32 - prefix)
    return str(Net((base, prefix)))


def zone_names(n: int) -> tuple[str, ...]:
    return tuple(f"zone-{chr(ord('a') + i)}" for i in range(n))


def shuffled_zones(max_zones: int) -> st.SearchStrategy[tuple[str, ...]]:
    """1..max_zones distinct zone names, in any order (kOps sorts them; others must not)."""
    return st.integers(1, max_zones).flatmap(lambda n: st.permutations(zone_names(n)).map(tuple))


def assert_apart(nets: list[Net]) -> None:
    for a, b in itertools.combinations(nets, 2):
        assert not a.overlaps(b), (a, b)


def assert_inside(nets: list[Net], cidr: str) -> None:
    assert all(n.subnet_of(Net(cidr)) for n in nets), (nets, cidr)


# --- zonal_eighths (EKS, ACK, TKE, IKS) --------------------------------------------------


def test_zonal_eighths_of_a_16() -> None:
    carved = zonal_eighths("10.0.0.0/16", ("a", "b", "c"))
    assert [(s.zone, s.private, s.public) for s in carved] == [
        ("a", "10.0.0.0/19", "10.0.224.0/22"),
        ("b", "10.0.32.0/19", "10.0.228.0/22"),
        ("c", "10.0.64.0/19", "10.0.232.0/22"),
    ]


@settings(max_examples=300, deadline=None)
@given(cidr=networks(), zones=shuffled_zones(ZONAL_EIGHTHS_MAX_ZONES))
def test_zonal_eighths_gives_every_zone_two_ranges_apart(cidr: str, zones: tuple[str, ...]) -> None:
    carved = zonal_eighths(cidr, zones)
    assert [s.zone for s in carved] == list(zones)  # every zone, in the model's order
    nets = [Net(c) for s in carved for c in (s.private, s.public)]
    assert_apart(nets)
    assert_inside(nets, cidr)
    # The same range and zones always give the same subnets (a plan never moves them).
    assert zonal_eighths(cidr, zones) == carved


@pytest.mark.parametrize("extra", [1, 2, 5])
def test_zonal_eighths_refuses_a_zone_past_the_cap(extra: int) -> None:
    with pytest.raises(ZoneCapError) as caught:
        zonal_eighths("10.0.0.0/16", zone_names(ZONAL_EIGHTHS_MAX_ZONES + extra))
    assert caught.value.cap == 7
    assert caught.value.zones == 7 + extra


def _zonal_ranges(cidr: str) -> list[Net]:
    return [Net(c) for s in zonal_eighths(cidr, zone_names(7)) for c in (s.private, s.public)]


def _aks_ranges(cidr: str) -> list[Net]:
    return [Net(c) for c in aks_subnets(cidr).values()]


DEFAULT_RANGES = {
    # engine: (its module's default pod and service ranges, the layout it carves)
    "ack": (ack, _zonal_ranges),
    "tke": (tke, _zonal_ranges),
    "aks": (aks, _aks_ranges),
}


@settings(max_examples=200, deadline=None)
@given(engine=st.sampled_from(sorted(DEFAULT_RANGES)), cidr=networks())
def test_subnets_stay_apart_from_the_default_pod_and_service_ranges(engine: str, cidr: str) -> None:
    # The engine refuses a network that overlaps its default pod or service range; any
    # other network's subnets stay apart from both.
    module, carve = DEFAULT_RANGES[engine]
    defaults = [Net(getattr(module, n)) for n in ("DEFAULT_POD_CIDR", "DEFAULT_SERVICE_CIDR")]
    if any(Net(cidr).overlaps(d) for d in defaults):
        return
    assert not any(c.overlaps(d) for c in carve(cidr) for d in defaults)


# --- kops_subnets, kops_ipv6_subnets -----------------------------------------------------


def test_kops_subnets_of_a_16() -> None:
    private = kops_subnets("10.0.0.0/16", ("b", "a", "c"), True)
    assert [(s.name, s.type, s.cidr) for s in private] == [
        ("b", "Private", "10.0.128.0/18"),
        ("a", "Private", "10.0.64.0/18"),
        ("c", "Private", "10.0.192.0/18"),
        ("utility-b", "Utility", "10.0.8.0/21"),
        ("utility-a", "Utility", "10.0.0.0/21"),
        ("utility-c", "Utility", "10.0.16.0/21"),
    ]
    public = kops_subnets("10.0.0.0/16", ("a", "b", "c"), False)
    assert [s.cidr for s in public] == ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
    # One zone, public (kOps on Azure: one regional subnet): the whole range.
    assert [s.cidr for s in kops_subnets("10.0.0.0/16", ("westeurope",), False)] == ["10.0.0.0/16"]


@settings(max_examples=300, deadline=None)
@given(cidr=networks(), zones=shuffled_zones(KOPS_SLOTS), private=st.booleans())
def test_kops_subnets_give_every_zone_its_subnets_apart(
    cidr: str, zones: tuple[str, ...], private: bool
) -> None:
    if len(zones) > kops_max_zones(private):
        zones = zones[: kops_max_zones(private)]
    carved = kops_subnets(cidr, zones, private)
    nodes = [s for s in carved if s.type in ("Private", "Public")]
    utility = [s for s in carved if s.type == "Utility"]
    assert [s.zone for s in nodes] == list(zones)
    assert [s.zone for s in utility] == (list(zones) if private else [])
    nets = [Net(s.cidr) for s in carved if s.cidr]
    assert len(nets) == len(carved)
    assert_apart(nets)
    assert_inside(nets, cidr)
    # kOps assigns by sorted zone: a zone's range does not depend on the model's order.
    by_zone = {s.name: s.cidr for s in kops_subnets(cidr, tuple(sorted(zones)), private)}
    assert {s.name: s.cidr for s in carved} == by_zone


@settings(max_examples=200, deadline=None)
@given(cidr=networks(), zones=shuffled_zones(7), private=st.booleans())
def test_kops_ipv6_subnets_give_every_zone_its_subnets_apart(
    cidr: str, zones: tuple[str, ...], private: bool
) -> None:
    carved = kops_ipv6_subnets(cidr, zones, private)
    kinds = ("Private", "DualStack", "Utility") if private else ("Public",)
    for kind in kinds:
        assert [s.zone for s in carved if s.type == kind] == list(zones), kind
    assert [s.ipv6_cidr for s in carved] == [f"/64#{i:x}" for i in range(len(carved))]
    nets = [Net(s.cidr) for s in carved if s.cidr]
    assert len(nets) == len(carved) - (len(zones) if private else 0)  # IPv6-only nodes
    assert_apart(nets)
    assert_inside(nets, cidr)


@pytest.mark.parametrize("private", [True, False])
def test_kops_layouts_refuse_a_zone_past_the_cap(private: bool) -> None:
    cap = kops_max_zones(private)
    assert cap == (7 if private else 8)
    kops_subnets("10.0.0.0/16", zone_names(cap), private)
    kops_ipv6_subnets("10.0.0.0/16", zone_names(cap), private)
    for carve in (kops_subnets, kops_ipv6_subnets):
        with pytest.raises(ZoneCapError) as caught:
            carve("10.0.0.0/16", zone_names(cap + 1), private)
        assert (caught.value.cap, caught.value.zones) == (cap, cap + 1)


def test_a_range_too_small_for_kops_is_a_carve_error() -> None:
    with pytest.raises(CarveError, match="too small"):
        kops_subnets("10.0.0.0/31", ("a", "b", "c"), True)


# --- gke_ranges, aks_subnets, cce_subnets, oke_subnets -----------------------------------


def network(cidr: str, pod_cidr: str | None = None, service_cidr: str | None = None) -> Network:
    return Network(cidr, pod_cidr, service_cidr, "private", "default", None)


def test_zone_free_layouts_of_a_16() -> None:
    ranges = gke_ranges(network("10.0.0.0/16"))
    assert (ranges.nodes, ranges.services, ranges.pods) == (
        "10.0.0.0/19",
        "10.0.32.0/19",
        "10.0.128.0/17",
    )
    assert aks_subnets("10.0.0.0/16") == {
        "nodes": "10.0.0.0/17",
        "virtual_nodes": "10.0.128.0/19",
    }
    cce = cce_subnets("10.0.0.0/16")
    assert (cce.nodes, cce.nodes_gateway, cce.eni, cce.eni_gateway) == (
        "10.0.0.0/19",
        "10.0.0.1",
        "10.0.64.0/18",
        "10.0.64.1",
    )
    oke = oke_subnets("10.0.0.0/16")
    assert (oke.workers, oke.lbs, oke.api) == ("10.0.0.0/17", "10.0.128.0/18", "10.0.192.0/28")


@settings(max_examples=300, deadline=None)
@given(cidr=networks(), pods=st.booleans(), services=st.booleans())
def test_gke_ranges_stay_apart(cidr: str, pods: bool, services: bool) -> None:
    pod_cidr = "172.16.0.0/14" if pods else None
    service_cidr = "172.20.0.0/20" if services else None
    ranges = gke_ranges(network(cidr, pod_cidr, service_cidr))
    assert ranges.pods == (pod_cidr or ranges.pods)
    assert ranges.services == (service_cidr or ranges.services)
    nets = [Net(ranges.nodes), Net(ranges.pods), Net(ranges.services)]
    assert_apart(nets)
    assert_inside([n for n in nets if str(n) not in (pod_cidr, service_cidr)], cidr)


@settings(max_examples=300, deadline=None)
@given(cidr=networks())
def test_zone_free_layouts_stay_apart(cidr: str) -> None:
    aks_nets = [Net(c) for c in aks_subnets(cidr).values()]
    cce = cce_subnets(cidr)
    cce_nets = [Net(cce.nodes), Net(cce.eni)]  # the ENI subnet holds the pods
    oke = oke_subnets(cidr)
    oke_nets = [Net(oke.workers), Net(oke.lbs), Net(oke.api)]
    for nets in (aks_nets, cce_nets, oke_nets):
        assert_apart(nets)
        assert_inside(nets, cidr)
    assert cce.nodes_gateway == str(Net(cce.nodes).network_address + 1)
    assert cce.eni_gateway == str(Net(cce.eni).network_address + 1)
    assert Net(oke.api).prefixlen == 28


# --- the zone cap, as the user sees it ---------------------------------------------------


def _zones(monkeypatch: pytest.MonkeyPatch, cloud: str, region: str, n: int) -> list[str]:
    """A region of `n` zones (no region in these clouds' tables has more than six)."""
    zones = tuple(f"{region}-z{i}" for i in range(n))
    monkeypatch.setitem(PROVIDERS[cloud].regions, region, zones)
    return list(zones)


MANAGED = {
    "eks": """
        cloud: aws
        engine: eks
        region: us-test-1
        kubernetesVersion: "1.35"
        aws: {accountId: "123456789012"}
        nodePools: {general: {machineType: m6i.large, minSize: 1, maxSize: 3}}
    """,
    "tke": """
        cloud: tencent
        engine: tke
        region: ap-test-1
        kubernetesVersion: "1.34"
        nodePools: {general: {machineType: S5.LARGE8, minSize: 1, maxSize: 3}}
    """,
    "iks": """
        cloud: ibm
        engine: iks
        region: us-test-1
        kubernetesVersion: "1.34"
        nodePools: {general: {machineType: bx2.4x16, minSize: 1, maxSize: 3}}
    """,
}
CLOUDS = {"eks": "aws", "tke": "tencent", "iks": "ibm"}


@pytest.mark.parametrize("engine", sorted(MANAGED))
def test_managed_engine_refuses_an_eighth_zone_at_zones(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = textwrap.dedent(MANAGED[engine]).lstrip("\n")
    region = re.search(r"region: (\S+)", body)
    assert region is not None
    eight = _zones(monkeypatch, CLOUDS[engine], region[1], 8)
    write_tree(tmp_path / "seven", {"c.yaml": body + f"zones: {eight[:-1]}\n"})
    assert render_tree(tmp_path / "seven")  # seven zones: valid, rendered
    write_tree(tmp_path / "eight", {"c.yaml": body + f"zones: {eight}\n"})
    found = issues_of(lambda: load_clusters(tmp_path / "eight", "model"))
    line = body.count("\n") + 1
    assert found == [
        f"model/c.yaml:{line}:8: zones: {engine.upper()} carves subnets for at most 7 zones "
        "(each zone takes an eighth of network.cidr, and the last eighth holds the zones' "
        "small ranges); the cluster has 8: name at most 7 zones, or run it in an existing "
        "network (network.existing)"
    ]


KOPS = """
    cloud: aws
    engine: kops
    region: us-test-1
    kubernetesVersion: "1.33"
    aws: {accountId: "123456789012"}
    nodePools: {general: {machineType: m6i.large, minSize: 1, maxSize: 3}}
"""


@pytest.mark.parametrize(
    ("topology", "ipv6", "cap"),
    [("private", False, 7), ("public", False, 8), ("private", True, 7), ("public", True, 8)],
)
def test_kops_refuses_a_zone_past_its_cap_at_zones(
    topology: str, ipv6: bool, cap: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = _zones(monkeypatch, "aws", "us-test-1", cap + 1)
    body = textwrap.dedent(KOPS).lstrip("\n") + textwrap.dedent(f"""\
        network: {{topology: {topology}, cni: cilium}}
        apiServer: {{public: true}}
        kops:
          stateStore: s3://example-kops-state
          dnsZone: k8s.example.com
          ipv6: {str(ipv6).lower()}
        """)
    write_tree(tmp_path / "fits", {"c.yaml": body + f"zones: {zones[:-1]}\n"})
    assert render_tree(tmp_path / "fits")
    write_tree(tmp_path / "over", {"c.yaml": body + f"zones: {zones}\n"})
    found = issues_of(lambda: load_clusters(tmp_path / "over", "model"))
    line = body.count("\n") + 1
    why = "kops create cluster splits network.cidr in at most eight" + (
        " and keeps the first part for the Utility subnets" if topology == "private" else ""
    )
    assert found == [
        f"model/c.yaml:{line}:8: zones: kOps carves subnets for at most {cap} zones ({why}); "
        f"the cluster has {cap + 1}: name at most {cap} zones"
    ]


# --- one module carves ---------------------------------------------------------------------


def test_no_engine_carves_a_range_outside_the_subnets_module() -> None:
    # Splitting a network (`IPv4Network.subnets(...)`, `.supernet(...)`) happens in
    # providers/subnets.py only, where each layout is named, documented and capped; the
    # kOps engines' `subnets(...)` of a cluster is the spec they build from it.
    carving = re.compile(r"\.(subnets\(\s*(\)|prefixlen_diff|new_prefix|\d)|supernet\()")
    found = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "generator").rglob("*.py"))
        if p.name != "subnets.py" and carving.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_engine_pages_name_their_layout() -> None:
    layouts = {
        "eks": "zonal_eighths",
        "ack": "zonal_eighths",
        "tke": "zonal_eighths",
        "iks": "zonal_eighths",
        "kops": "kops_subnets",
        "gke": "gke_ranges",
        "aks": "aks_subnets",
        "cce": "cce_subnets",
        "oke": "oke_subnets",
    }
    modules = {
        "eks": "aws/eks.py",
        "ack": "alibaba/ack.py",
        "tke": "tencent/tke.py",
        "iks": "ibm/iks.py",
        "kops": "aws/kops.py",
        "gke": "gcp/gke.py",
        "aks": "azure/aks.py",
        "cce": "huawei/cce.py",
        "oke": "oracle/oke.py",
    }
    for engine, layout in layouts.items():
        page = (ROOT / "docs" / "engines" / f"{engine}.md").read_text(encoding="utf-8")
        assert f"providers/subnets.py:{layout}" in page, engine
        # ... and the page names the layout the engine calls.
        source = (ROOT / "generator" / "providers" / modules[engine]).read_text(encoding="utf-8")
        assert f"{layout}(" in source, engine
