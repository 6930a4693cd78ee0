"""The pytest plugin as a user meets it: a project with a model tree and the five-line test
of docs/review.md passes after `--snapshot-update`, and fails after a model change, showing
the changed line. Each run is a fresh pytest process that finds the plugin by its `pytest11`
entry point, as in a user's environment."""

from __future__ import annotations

import re
import textwrap

import pytest

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
    "clusters/prod/payments.yaml": "network: {cidr: 10.1.0.0/16}\n",
    "clusters/dev/sandbox.yaml": "network: {cidr: 10.2.0.0/16}\n",
}

# The example of docs/review.md, as a user pastes it.
USER_TEST = """
    def test_clusters_render_as_reviewed(treeform_render, snapshot):
        assert treeform_render("clusters") == snapshot
    """


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    for rel, text in MODEL.items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    pytester.makepyfile(test_clusters=textwrap.dedent(USER_TEST))
    return pytester


def test_passes_after_snapshot_update_and_fails_after_a_model_change(
    project: pytest.Pytester,
) -> None:
    project.runpytest_subprocess("--snapshot-update").assert_outcomes(passed=1)
    snapshot = project.path / "__snapshots__" / "test_clusters.ambr"
    pinned = snapshot.read_text()
    assert "'prod/payments/terraform/node_groups.tf'" in pinned
    assert "'atlantis.yaml'" in pinned
    assert ".treeform-model.json" not in pinned  # bookkeeping is not pinned
    project.runpytest_subprocess().assert_outcomes(passed=1)

    payments = project.path / "clusters/prod/payments.yaml"
    payments.write_text(payments.read_text() + "nodePools:\n  general: {maxSize: 9}\n")
    failed = project.runpytest_subprocess()
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*max_size     = 6*", "*max_size     = 9*"])


def test_a_failure_names_every_changed_file_with_its_diff(project: pytest.Pytester) -> None:
    project.runpytest_subprocess("--snapshot-update").assert_outcomes(passed=1)
    payments = project.path / "clusters/prod/payments.yaml"
    payments.write_text(payments.read_text() + "nodePools:\n  general: {maxSize: 9}\n")
    sandbox = project.path / "clusters/dev/sandbox.yaml"
    sandbox.write_text("network: {cidr: 10.7.0.0/16}\n")
    failed = project.runpytest_subprocess()
    failed.assert_outcomes(failed=1)
    out = failed.stdout.str()
    listed = re.findall(r"^E\s+(changed|added|removed): (\S+)$", out, flags=re.M)
    paths = [path for _, path in listed]
    assert "prod/payments/terraform/node_groups.tf" in paths
    assert "dev/sandbox/terraform/network.tf" in paths
    for path in paths:  # each named file comes with its diff
        assert f"--- snapshot/{path}" in out and f"+++ rendered/{path}" in out, path
    failed.stdout.fnmatch_lines(["*treeform: * files differ from snapshot:*"])
    assert "pytest --snapshot-update" in out


def test_a_comparison_with_a_dict_names_the_files_too(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_dict=textwrap.dedent(
            """
            def test_dict(treeform_render):
                rendered = treeform_render("clusters")
                expected = dict(rendered)
                expected["atlantis.yaml"] = "version: 3\\n"
                del expected["prod/payments/terraform/outputs.tf"]
                assert rendered == expected
            """
        )
    )
    failed = project.runpytest_subprocess("test_dict.py", "-vv")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(
        [
            "*treeform: 2 files differ from expected:*",
            "*changed: atlantis.yaml*",
            "*added: prod/payments/terraform/outputs.tf*",
        ]
    )


def test_an_invalid_model_fails_with_treeforms_errors_not_a_traceback(
    project: pytest.Pytester,
) -> None:
    (project.path / "clusters/prod/payments.yaml").write_text(
        "nodePools:\n  general: {minSize: 9}\n"
    )
    result = project.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*treeform: clusters is not a valid model:*",
            "clusters/prod/payments.yaml:2:*: nodePools.general.minSize: minSize 9 is greater "
            "than maxSize 6",
        ]
    )
    assert "Traceback" not in result.stdout.str()
