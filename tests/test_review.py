"""`treeform diff --format markdown|json`: a pull-request summary that names only the clusters
a change affects, with the model changes field by field (old and new values, and the file
that sets the new one), pools, versions, files with line counts and folded diffs, within a
size cap; and `--base REV` to compare with the output as committed at a git revision."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import write_tree
from treeform.cli import cli
from treeform.review import code

MODEL = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        kubernetesVersion: "1.32"
        backend: {type: s3, bucket: org-state, keyPrefix: clusters}
        tags: {owner: platform}
        nodePools:
          general: {machineType: m6i.large, minSize: 2, maxSize: 6}
        """,
    "aws/prod/_defaults.yaml": """
        region: us-east-1
        highAvailability: true
        """,
    "aws/prod/payments.yaml": """
        network: {cidr: 10.1.0.0/16}
        nodePools:
          general: {maxSize: 12}
        """,
    "aws/prod/search.yaml": "network: {cidr: 10.2.0.0/16}\n",
    "aws/dev/sandbox.yaml": "region: eu-west-1\nnetwork: {cidr: 10.3.0.0/16}\n",
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


@pytest.fixture
def out(model: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    return out


def markdown(model: Path, out: Path, *args: str) -> str:
    result = run("diff", str(model), "-o", str(out), "--format", "markdown", *args)
    assert result.exit_code == 0, result.output
    return result.output


def cluster_headings(text: str) -> list[str]:
    return re.findall(r"^#### `([^`]+)`$", text, flags=re.M)


def test_one_field_names_only_that_cluster_with_old_and_new_values(model: Path, out: Path) -> None:
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text().replace("maxSize: 12", "maxSize: 16"))
    text = markdown(model, out)
    assert text.startswith("### treeform: 1 of 3 clusters changes\n")
    assert cluster_headings(text) == ["aws/prod/payments"]
    assert "search" not in text and "sandbox" not in text
    line = next(x for x in text.splitlines() if "nodePools.general.maxSize" in x)
    column = path.read_text().splitlines()[2].index("16") + 1
    assert line == (
        f"- `nodePools.general.maxSize`: `12` → `16` (set in `{model}/aws/prod/payments.yaml"
        f":3:{column}`)"
    )
    assert "| `terraform/node_groups.tf` | changed | +1 -1 |" in text
    assert "<details><summary><code>terraform/node_groups.tf</code> (+1 -1)</summary>" in text
    assert "-    max_size     = 12\n+    max_size     = 16\n" in text
    assert ".treeform-model.json" not in text  # bookkeeping is not a reviewed file


def test_a_defaults_change_names_every_cluster_below_it(model: Path, out: Path) -> None:
    defaults = model / "aws/prod/_defaults.yaml"
    defaults.write_text(defaults.read_text() + "tags: {env: prod}\n")
    text = markdown(model, out)
    assert cluster_headings(text) == ["aws/prod/payments", "aws/prod/search"]
    assert text.count(f'- `tags.env`: `(unset)` → `"prod"` (set in `{model}/aws/prod/') == 2


def test_pools_versions_and_replacement_are_called_out(model: Path, out: Path) -> None:
    (model / "aws/prod/payments.yaml").write_text(
        "network: {cidr: 10.1.0.0/16}\n"
        'kubernetesVersion: "1.33"\n'
        "nodePools:\n"
        "  general: null\n"
        "  gpu: {machineType: g5.xlarge, minSize: 0, maxSize: 4}\n"
    )
    (model / "aws/dev/sandbox.yaml").write_text("region: eu-west-2\nnetwork: {cidr: 10.3.0.0/16}\n")
    text = markdown(model, out)
    assert cluster_headings(text) == ["aws/dev/sandbox", "aws/prod/payments"]
    assert "- node pool added: `gpu`" in text
    assert "- node pool removed: `general`" in text
    assert "nodePools.gpu.machineType" not in text  # an added pool is one line, not its fields
    # One minor: a skipped one is an error of diff as of generate (tests/test_versions.py).
    assert "- ⬆ Kubernetes **upgrade**: `1.32` → `1.33`\n" in text
    assert "`kubernetesVersion`:" not in text  # said once, as the upgrade
    alert = text[text.index("> [!WARNING]") :].split("\n\n")[0].splitlines()
    assert alert[1] == (
        "> **This change replaces resources**: what they hold is lost unless you move it first."
    )
    assert alert[3].startswith(
        '> - `region` `"eu-west-1"` → `"eu-west-2"` replaces the whole cluster and its network'
    )
    assert all(line.startswith(">") for line in alert)
    assert '- `region`: `"eu-west-1"` → `"eu-west-2"`' in text
    assert "| `aws/prod/payments` | 1 field, +1 pool, -1 pool |" in text


def test_clusters_added_and_removed(model: Path, out: Path) -> None:
    (model / "aws/prod/search.yaml").unlink()
    (model / "aws/prod/orders.yaml").write_text("network: {cidr: 10.4.0.0/16}\n")
    text = markdown(model, out)
    assert cluster_headings(text) == ["aws/prod/orders", "aws/prod/search"]
    assert "| `aws/prod/orders` | new cluster | 10 added |" in text
    assert "| `aws/prod/search` | removed from the model | 10 removed |" in text
    assert "run `terraform destroy` in its module before merging" in text
    # atlantis.yaml changes too: it is a repository file, not a cluster's.
    assert "#### Repository files" in text and "| `atlantis.yaml` | changed |" in text


def test_the_size_cap_says_what_it_cut(model: Path, out: Path) -> None:
    (model / "_defaults.yaml").write_text(
        (model / "_defaults.yaml")
        .read_text()
        .replace('"1.32"', '"1.33"')
        .replace("m6i.large", "m7i.large")
    )
    whole = markdown(model, out)
    assert len(whole) > 4500 and "Cut to stay under" not in whole
    capped = markdown(model, out, "--max-chars", "3500")
    assert len(capped) <= 3500
    assert cluster_headings(capped) == cluster_headings(whole)  # every cluster is still named
    shown = capped.count("<details>")
    assert shown < whole.count("<details>")
    cut = whole.count("<details>") - shown
    assert re.search(
        rf"_Cut to stay under 3,500 characters: the diffs of {cut} files? \(\d+ lines?\)\. ",
        capped,
    )


def test_user_values_cannot_break_the_markdown(model: Path, out: Path) -> None:
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text() + "tags: {note: 'a`b|c <b>x</b>'}\n")
    text = markdown(model, out)
    assert '- `tags.note`: `(unset)` → ``"a`b\\|c <b>x</b>"``' in text
    assert code("``x") == "``` ``x ```"
    # Every diff fence is closed by a fence of its own length.
    fences = re.findall(r"^(`{3,})diff$", text, flags=re.M)
    assert fences and all(text.count(f"\n{f}\n") >= 1 for f in fences)


def test_json_for_machines(model: Path, out: Path) -> None:
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text().replace("maxSize: 12", "maxSize: 16"))
    result = run("diff", str(model), "-o", str(out), "--format", "json")
    data = json.loads(result.output)
    assert data["unchanged_clusters"] == 2
    (cluster,) = data["clusters"]
    assert cluster["id"] == "aws/prod/payments" and cluster["status"] == "changed"
    (change,) = cluster["fields"]
    assert (change["path"], change["old"], change["new"]) == ("nodePools.general.maxSize", 12, 16)
    (changed,) = cluster["files"]
    assert changed["path"] == "terraform/node_groups.tf"
    assert (changed["added"], changed["removed"]) == (1, 1)
    assert changed["diff"].startswith("--- a/aws/prod/payments/terraform/node_groups.tf\n")


def test_text_stays_the_default_unified_diff(model: Path, out: Path) -> None:
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text().replace("maxSize: 12", "maxSize: 16"))
    result = run("diff", str(model), "-o", str(out))
    assert result.output.startswith("--- a/aws/prod/payments/")
    assert "-    max_size     = 12\n+    max_size     = 16\n" in result.output


def test_an_output_without_model_records_still_compares_files(model: Path, out: Path) -> None:
    for record in out.rglob(".treeform-model.json"):
        record.unlink()
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text().replace("maxSize: 12", "maxSize: 16"))
    text = markdown(model, out)
    assert cluster_headings(text) == ["aws/prod/payments"]
    assert "| `aws/prod/payments` | not recorded | 1 changed |" in text
    assert "recorded no model for this cluster" in text


def test_nothing_to_say(model: Path, out: Path) -> None:
    assert markdown(model, out) == (
        "### treeform: no cluster changes\n\n3 clusters, all unchanged.\n"
    )


def test_only_limits_the_review(model: Path, out: Path) -> None:
    for name in ("payments", "search"):
        path = model / f"aws/prod/{name}.yaml"
        path.write_text(path.read_text() + "tags: {x: y}\n")
    text = markdown(model, out, "--only", "aws/prod/search")
    assert cluster_headings(text) == ["aws/prod/search"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_base_compares_with_the_output_committed_at_a_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    model = write_tree(repo / "model", MODEL)
    out = repo / "output"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    # The pull request: one field, and output/ regenerated (as pre-commit makes sure).
    path = model / "aws/prod/payments.yaml"
    path.write_text(path.read_text().replace("maxSize: 12", "maxSize: 16"))
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert markdown(model, out).startswith("### treeform: no cluster changes")
    text = markdown(model, out, "--base", "main")
    assert text.startswith(
        "### treeform: 1 of 3 clusters changes (compared with the output at `main`)"
    )
    assert cluster_headings(text) == ["aws/prod/payments"]
    assert "- `nodePools.general.maxSize`: `12` → `16`" in text
    assert not (tmp_path / "base").exists()
    bad = run("diff", str(model), "-o", str(out), "--base", "no-such-rev")
    assert bad.exit_code == 2 and "git rev-parse" in bad.stderr
    # An output directory the base did not have: every cluster is new.
    fresh = run(
        "diff", str(model), "-o", str(repo / "elsewhere"), "--base", "main", "--format", "markdown"
    )
    assert "| `aws/prod/payments` | new cluster |" in fresh.output


def test_a_change_to_many_clusters_stays_under_the_cap(tmp_path: Path) -> None:
    files = dict(MODEL)
    for i in range(60):
        files[f"fleet/team-{i:02d}/cluster-{i:02d}.yaml"] = (
            f"region: us-east-1\nnetwork: {{cidr: 10.{100 + i}.0.0/16}}\n"
        )
    model = write_tree(tmp_path / "model", files)
    out = tmp_path / "out"
    run("generate", str(model), "-o", str(out))
    (model / "_defaults.yaml").write_text(
        (model / "_defaults.yaml").read_text().replace("maxSize: 6", "maxSize: 7")
    )
    text = markdown(model, out, "--max-chars", "2000")
    assert len(text) <= 2000
    assert re.search(r"\| \.\.\. and \d+ more clusters \| \| \|", text)
    assert "_Cut to stay under 2,000 characters: " in text and "clusters from the table" in text
