"""Alibaba Cloud: regions, tags, and the engines that run on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.alibaba.ack import ACK
from treeform.providers.alibaba.tags import TAG_LIMITS, cluster_tags
from treeform.providers.common import Cloud


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}-{letter}" for letter in letters)


#: Regions and their zone ids, taken 2026-11-27 from the Alibaba Cloud ECS "Regions and
#: zones" documentation (public regions; zones that stopped selling are left out).
REGIONS: dict[str, tuple[str, ...]] = {
    "cn-qingdao": _zones("cn-qingdao", "bc"),
    "cn-beijing": _zones("cn-beijing", "acdefghijkl"),
    "cn-zhangjiakou": _zones("cn-zhangjiakou", "abc"),
    "cn-huhehaote": _zones("cn-huhehaote", "ab"),
    "cn-wulanchabu": _zones("cn-wulanchabu", "abc"),
    "cn-hangzhou": _zones("cn-hangzhou", "bghijk"),
    "cn-shanghai": _zones("cn-shanghai", "abefglmn"),
    "cn-shenzhen": _zones("cn-shenzhen", "abcdef"),
    "cn-heyuan": _zones("cn-heyuan", "ab"),
    "cn-guangzhou": _zones("cn-guangzhou", "ab"),
    "cn-chengdu": _zones("cn-chengdu", "ab"),
    "cn-hongkong": _zones("cn-hongkong", "bcd"),
    "ap-northeast-1": _zones("ap-northeast-1", "abc"),
    "ap-northeast-2": _zones("ap-northeast-2", "a"),
    "ap-southeast-1": _zones("ap-southeast-1", "abc"),
    "ap-southeast-3": _zones("ap-southeast-3", "ab"),
    "ap-southeast-5": _zones("ap-southeast-5", "abc"),
    "ap-southeast-6": _zones("ap-southeast-6", "a"),
    "ap-southeast-7": _zones("ap-southeast-7", "a"),
    "us-east-1": _zones("us-east-1", "ab"),
    "us-west-1": _zones("us-west-1", "ab"),
    "eu-west-1": _zones("eu-west-1", "ab"),
    "eu-central-1": _zones("eu-central-1", "abc"),
    "me-east-1": _zones("me-east-1", "a"),
    "me-central-1": _zones("me-central-1", "ab"),
}

_URL = re.compile(r"https?://", re.IGNORECASE)


class AlibabaCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        yield from super().validate(cluster)
        for key, value in cluster.tags.items():
            if _URL.search(key):
                yield cluster.issue(
                    ("tags", key), "tag keys may not contain http:// or https://", key=True
                )
            if value.lower().startswith("acs:") or _URL.search(value):
                yield cluster.issue(
                    ("tags", key),
                    "tag values may not start with 'acs:' or contain http:// or https://",
                )


PROVIDER = AlibabaCloud("alibaba", REGIONS, (ACK,), cluster_tags, TAG_LIMITS)
