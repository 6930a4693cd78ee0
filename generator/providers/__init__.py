"""The registry of clouds: a literal dict, name -> provider. An unknown name is an error."""

from __future__ import annotations

from treeform.providers import (
    alibaba,
    aws,
    azure,
    digitalocean,
    gcp,
    huawei,
    ibm,
    oracle,
    tencent,
)
from treeform.providers.base import Provider

PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        aws.PROVIDER,
        gcp.PROVIDER,
        azure.PROVIDER,
        digitalocean.PROVIDER,
        alibaba.PROVIDER,
        tencent.PROVIDER,
        huawei.PROVIDER,
        ibm.PROVIDER,
        oracle.PROVIDER,
    )
}
