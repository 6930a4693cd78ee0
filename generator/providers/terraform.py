"""The base of every managed engine (EKS, GKE, AKS, DOKS, ACK, TKE, CCE, IKS, OKE): one
Terraform root module per cluster, rendered from the engine's template folder with the
context the engine supplies, plus `versions.tf` (the required providers and the cluster's
own backend). An engine holds only what is its own: its tables, `validate()` and
`context()`; the `terraform` target (`treeform.providers.targets`) calls
`render_terraform`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.base import Example
from treeform.providers.common import versions_tf
from treeform.render import Renderer

#: The folder of a cluster's Terraform root module in its output.
TERRAFORM_DIR = "terraform"


def cluster_identity(cluster: Cluster) -> dict[str, str]:
    """What every engine's templates call the cluster by: its id, name and region."""
    return {"id": cluster.id, "name": cluster.name, "region": cluster.region}


class TerraformEngine:
    """A managed engine: its class holds its tables and rules (the class attributes,
    `validate()`, `context()`); its one instance is made with its template folder, the
    Terraform providers it needs and its example for `treeform new`."""

    name: str
    #: Minor versions the engine offers, and the date the table was taken.
    versions: tuple[str, ...]
    versions_taken: str
    #: Zones a highAvailability control plane needs, or 0 where the engine spreads it itself.
    ha_min_zones: int = 0
    #: Addons the engine knows; those it runs by itself need no output.
    addons: tuple[str, ...]
    #: The output targets (`targets.TARGETS`) the engine renders, in this order.
    targets: tuple[str, ...] = ("terraform",)

    def __init__(
        self, template_dir: str, providers: Mapping[str, Mapping[str, str]], example: Example
    ) -> None:
        #: The folder of the engine's templates under templates/ ("digitalocean/doks").
        self.template_dir = template_dir
        #: `required_providers` of versions.tf: local name -> source and version constraint.
        self.providers = providers
        #: A region and machine type for `treeform new`.
        self.example = example

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        raise NotImplementedError

    def context(self, cluster: Cluster) -> dict[str, Any]:
        """What the engine's templates read: plain data, every user value still raw (the
        templates' filters escape it)."""
        raise NotImplementedError

    def render_terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        """The root module: `terraform/<file>` -> its text."""
        files = renderer.render_dir(self.template_dir, self.context(cluster))
        files["versions.tf"] = versions_tf(cluster, renderer, self.providers)
        return {f"{TERRAFORM_DIR}/{name}": text for name, text in files.items()}
