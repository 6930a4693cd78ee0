"""The review summary warns of every change that replaces a resource, from one table per
engine (`treeform.replacements`), with what is replaced and what is lost; a new cluster is
shown with its key values; the warning is one blockquote in GitHub's own renderer (cmark-gfm)
and in a CommonMark one (markdown-it)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import cmarkgfm
import pytest
from click.testing import CliRunner, Result
from helpers import write_tree
from markdown_it import MarkdownIt
from treeform.cli import cli
from treeform.replacements import COMMON, REPLACEMENTS, replacement_for
from treeform.validate import cluster_schema

MODEL = {
    "clusters/_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        backend: {type: s3, bucket: org-state}
        nodePools:
          general: {machineType: m6i.large, minSize: 2, maxSize: 6}
        """,
    "clusters/prod/payments.yaml": """
        zones: [us-east-1a, us-east-1b, us-east-1c]
        network: {cidr: 10.1.0.0/16}
        nodePools:
          batch: {machineType: c6i.xlarge, minSize: 0, maxSize: 4}
        """,
    "clusters/prod/search.yaml": "network: {cidr: 10.2.0.0/16}\n",
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository whose main commit has the model and its output, and a pull request that
    changes `network.cidr`, `zones` and an EKS pool's `machineType`, output regenerated."""
    repo = write_tree(tmp_path / "repo", MODEL)
    git(repo, "init", "-q", "-b", "main")
    assert run("generate", str(repo / "clusters"), "-o", str(repo / "output")).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "clusters/prod/payments.yaml").write_text(
        "zones: [us-east-1a, us-east-1b, us-east-1d]\n"
        "network: {cidr: 10.5.0.0/16}\n"
        "nodePools:\n"
        "  batch: {machineType: c7i.xlarge, minSize: 0, maxSize: 4}\n"
    )
    assert run("generate", str(repo / "clusters"), "-o", str(repo / "output")).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the pull request")
    return repo


def summary(repo: Path, fmt: str = "markdown") -> str:
    result = run(
        "diff",
        str(repo / "clusters"),
        "-o",
        str(repo / "output"),
        "--format",
        fmt,
        "--base",
        "main~1",
    )
    assert result.exit_code == 0, result.output
    return result.output


def alert(text: str) -> list[str]:
    start = text.index("> [!WARNING]")
    return text[start:].split("\n\n")[0].splitlines()


def test_a_pull_request_changing_cidr_zones_and_a_machine_type_warns_of_each(
    pull_request: Path,
) -> None:
    text = summary(pull_request)
    lines = alert(text)
    assert lines[1].startswith("> **These 3 changes replace resources**")
    warned = {
        re.match(r"> - `([^`]+)`", line)[1]: line for line in lines if line.startswith("> - ")
    }  # type: ignore[index]
    assert set(warned) == {"network.cidr", "zones", "nodePools.batch.machineType"}
    assert '`"10.1.0.0/16"` → `"10.5.0.0/16"` replaces the VPC' in warned["network.cidr"]
    assert "NAT gateways' public IPs" in warned["network.cidr"]
    assert "`aws_subnet.availability_zone`" in warned["zones"]
    assert "**Lost:** the pool's nodes" in warned["zones"]
    assert (
        "`aws_eks_node_group.instance_types` is ForceNew" in warned["nodePools.batch.machineType"]
    )
    # The cluster that did not change is not named; the warning is not repeated as a field.
    assert "prod/search" not in text
    assert text.count("replaces the VPC") == 1


def test_the_json_carries_the_same_warnings(pull_request: Path) -> None:
    (cluster,) = json.loads(summary(pull_request, "json"))["clusters"]
    assert [w["path"] for w in cluster["replacements"]] == [
        "network.cidr",
        "nodePools.batch.machineType",
        "zones",
    ]
    assert all(w["replaces"] and w["loses"] for w in cluster["replacements"])


@pytest.mark.parametrize(
    "render",
    [
        lambda text: cmarkgfm.github_flavored_markdown_to_html(text),
        lambda text: MarkdownIt("commonmark").enable("table").render(text),
    ],
    ids=["cmark-gfm", "markdown-it"],
)
def test_the_warning_is_one_blockquote_with_every_replacement_inside(
    pull_request: Path, render: object
) -> None:
    html = render(summary(pull_request))  # type: ignore[operator]
    (quote,) = re.findall(r"<blockquote>(.*?)</blockquote>", html, flags=re.S)
    assert quote.count("<li>") == 3 and "[!WARNING]" in quote
    # The field list after it is not swallowed by it.
    after = html[html.index("</blockquote>") :]
    assert "<code>network.cidr</code>: " in after


def test_a_new_cluster_is_shown_with_its_key_values(pull_request: Path) -> None:
    (pull_request / "clusters/prod/orders.yaml").write_text(
        "zones: [us-east-1a, us-east-1b]\nnetwork: {cidr: 10.9.0.0/16}\n"
        "nodePools:\n  general: {spot: true}\n"
    )
    text = summary(pull_request)
    section = text[text.index("#### `prod/orders`") :].split("| file |")[0]
    for line in (
        "- `cloud`: `aws`",
        "- `engine`: `eks`",
        "- `region`: `us-east-1`",
        '- `zones`: `["us-east-1a", "us-east-1b"]`',
        "- `kubernetesVersion`: `1.33`",
        "- `network.cidr`: `10.9.0.0/16`",
        "- `backend.type`: `s3`",
        "- `nodePools.general`: `m6i.large, 2-6 nodes, spot`",
    ):
        assert line in section, line


def _schema_fields() -> set[str]:
    """Field paths of the cluster schema, with `*` for a node pool name."""
    schema = cluster_schema()
    defs = schema["$defs"]
    out: set[str] = set()

    def walk(node: dict[str, object], prefix: str) -> None:
        ref = node.get("$ref")
        if isinstance(ref, str):
            node = defs[ref.rsplit("/", 1)[-1]]
        for name, sub in (node.get("properties") or {}).items():  # type: ignore[union-attr]
            out.add(prefix + name)
            walk(sub, prefix + name + ".")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and prefix == "nodePools.":
            walk(extra, prefix + "*.")

    walk(schema, "")
    return out


#: Pool fields of the model contract's day-2 table, which may reach the table before the schema.
DAY_TWO = {"nodePools.*.machineTypes", "nodePools.*.image"}


def test_every_row_names_a_model_field() -> None:
    fields = _schema_fields() | DAY_TWO
    for engine, rows in {"*": COMMON, **REPLACEMENTS}.items():
        for row in rows:
            assert row.field in fields, (engine, row.field)
            assert row.replaces and row.loses


def test_a_row_matches_any_pool_name_and_nothing_else() -> None:
    row = replacement_for("eks", "nodePools.gpu-a.machineType")
    assert row is not None and "instance_types" in row.replaces
    assert replacement_for("eks", "nodePools.gpu.maxSize") is None
    assert replacement_for("eks", "nodePools.machineType") is None
    assert replacement_for("gke", "nodePools.gpu.machineType") is None  # updated in place
    assert replacement_for("kops", "region") is not None  # the common rows, on every engine
