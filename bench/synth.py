"""Write a synthetic model tree of N clusters: every engine treeform knows, three levels of
`_defaults.yaml` (org, cloud, environment), two or three pools per cluster, tags and taints.

    python bench/synth.py N DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from treeform.providers import PROVIDERS

# One valid cluster per engine: cloud, region, zones, machine type and the engine block.
SAMPLES: dict[str, dict[str, object]] = {
    "eks": {
        "cloud": "aws",
        "region": "us-east-1",
        "machine": "m6i.large",
        "zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
    },
    "kops": {
        "cloud": "aws",
        "region": "eu-west-1",
        "machine": "m6i.large",
        "zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        "block": {"stateStore": "s3://bench-kops-state", "dnsZone": "bench.example.com"},
    },
    "gke": {
        "cloud": "gcp",
        "region": "europe-west1",
        "machine": "e2-standard-4",
        "zones": ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
        "account": {"project": "bench-project"},
    },
    "aks": {
        "cloud": "azure",
        "region": "westeurope",
        "machine": "Standard_D4s_v5",
        "zones": ["1", "2", "3"],
    },
    "doks": {"cloud": "digitalocean", "region": "ams3", "machine": "s-2vcpu-4gb"},
    "ack": {
        "cloud": "alibaba",
        "region": "cn-hangzhou",
        "machine": "ecs.g7.large",
        "zones": ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"],
    },
    "tke": {
        "cloud": "tencent",
        "region": "ap-guangzhou",
        "machine": "S5.MEDIUM4",
        "version": "1.34",
        "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
    },
    "cce": {
        "cloud": "huawei",
        "region": "cn-north-4",
        "machine": "c7.large.2",
        "zones": ["cn-north-4a", "cn-north-4b", "cn-north-4c"],
        "version": "1.33",  # CCE's newest (docs/engines/cce.md)
    },
    "iks": {
        "cloud": "ibm",
        "region": "us-south",
        "machine": "bx2.4x16",
        "zones": ["us-south-1", "us-south-2", "us-south-3"],
    },
    "oke": {
        "cloud": "oracle",
        "region": "eu-frankfurt-1",
        "machine": "VM.Standard.E4.Flex",
        "account": {},
        "block": {"compartmentId": "ocid1.compartment.oc1..bench"},
    },
}


#: Engines without spot capacity, and engines whose autoscaled pools keep a node.
NO_SPOT = {"iks", "doks"}
NO_EMPTY_POOLS = {"doks"}


def engines() -> list[str]:
    """The sample engines this treeform has (all of them once every engine has landed)."""
    return [
        e
        for e, s in SAMPLES.items()
        if str(s["cloud"]) in PROVIDERS and e in PROVIDERS[str(s["cloud"])].engines
    ]


def dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_tree(n: int, root: Path) -> list[str]:
    """Write the tree; returns the cluster ids."""
    names = engines()
    dump(
        root / "_defaults.yaml",
        {
            "kubernetesVersion": "1.34",
            "tags": {"owner": "platform", "managed-by": "treeform"},
            "backend": {"type": "local"},
        },
    )
    ids = []
    for engine in names:
        s = SAMPLES[engine]
        block: dict[str, object] = {"cloud": s["cloud"], "engine": engine, "region": s["region"]}
        if "zones" in s:
            block["zones"] = s["zones"]
        if "account" in s:
            block[str(s["cloud"])] = s["account"]
        if "block" in s:
            block[engine] = s["block"]
        if "version" in s:
            block["kubernetesVersion"] = s["version"]
        block["nodePools"] = {"general": {"machineType": s["machine"], "minSize": 1, "maxSize": 5}}
        dump(root / engine / "_defaults.yaml", block)
        for env in ("prod", "dev"):
            dump(root / engine / env / "_defaults.yaml", {"tags": {"env": env}})
    for i in range(n):
        engine = names[i % len(names)]
        env = "prod" if i % 2 else "dev"
        cluster_id = f"{engine}/{env}/c{i:04d}"
        pools = {
            "general": {"maxSize": 5 + i % 7},
            "batch": {
                "machineType": SAMPLES[engine]["machine"],
                "minSize": 1 if engine in NO_EMPTY_POOLS else 0,
                "maxSize": 10,
                "spot": engine not in NO_SPOT,
                "labels": {"workload": "batch"},
                "taints": [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}],
            },
        }
        if i % 3 == 0:
            pools["system"] = {
                "machineType": SAMPLES[engine]["machine"],
                "minSize": 1,
                "maxSize": 3,
            }
        dump(
            root / f"{cluster_id}.yaml",
            {
                "network": {"cidr": f"10.{i % 200}.0.0/16"},  # clear of DOKS' 10.244/15
                "nodePools": pools,
                "tags": {"team": f"team-{i % 17}", "cluster-index": str(i)},
            },
        )
        ids.append(cluster_id)
    return ids


if __name__ == "__main__":
    write_tree(int(sys.argv[1]), Path(sys.argv[2]))
