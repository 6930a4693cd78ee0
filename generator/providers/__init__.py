"""The registry of clouds: a literal dict, name -> provider. An unknown name is an error."""

from __future__ import annotations

from generator.providers import aws, azure, digitalocean, gcp
from generator.providers.base import Provider

PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        aws.PROVIDER,
        gcp.PROVIDER,
        azure.PROVIDER,
        digitalocean.PROVIDER,
    )
}
