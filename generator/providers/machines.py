"""What a machine type is, per cloud: its architecture, its accelerator, and the root disk
types its family can attach. One table per cloud; the engines read them to pick images,
AMI types, accelerators and disks, and to refuse what a family cannot do.

The tables are dated facts (`TAKEN`, with the source beside each table). A family missing
from a table is an error that names the table's date: a family newer than the table needs
the table updated, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

X86_64 = "x86_64"
ARM64 = "arm64"

#: Accelerator kinds (the vendor's driver stack an image must carry).
NVIDIA = "nvidia"
NEURON = "neuron"  # AWS Inferentia and Trainium
AMD_GPU = "amd-gpu"
OTHER = "other"  # FPGAs, Gaudi, media accelerators: no driver image on any engine

#: The date the tables below were compiled.
TAKEN = "2026-12-01"


@dataclass(frozen=True)
class Machine:
    """One machine type, as its cloud's table describes it."""

    name: str
    family: str
    arch: str  # x86_64 | arm64
    accelerator: str | None = None  # NVIDIA | NEURON | AMD_GPU | OTHER
    #: The accelerator as the cloud names it where an engine must write it (GKE
    #: `guest_accelerator.type`), and how many a machine of this type has.
    accelerator_type: str | None = None
    accelerator_count: int = 0
    #: Root disk types the family can attach; the first is the default.
    disks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """A cloud's machine types: the form of a name, and what each one is."""

    cloud: str
    #: What a name looks like, and the words for an error ("an EC2 instance type (...)").
    form: re.Pattern[str]
    form_text: str
    #: The machine a (well-formed) name is, or a sentence saying why there is none.
    lookup: Callable[[str], Machine | str]
    source: str

    def machine(self, name: str) -> Machine | str:
        if not self.form.match(name):
            return f"{name!r} is not {self.form_text}"
        return self.lookup(name)


def _families(*groups: tuple[str, str, str | None]) -> dict[str, tuple[str, str | None]]:
    """`{family: (arch, accelerator)}` from `(space-separated families, arch, accelerator)`."""
    return {f: (arch, accel) for names, arch, accel in groups for f in names.split()}


# --- AWS (EC2) -------------------------------------------------------------------------

#: EC2 instance families, compiled 2026-12-01 from the Amazon EC2 instance types guide
#: (docs.aws.amazon.com/ec2/latest/instancetypes: general purpose, compute, memory and
#: storage optimized, accelerated computing, HPC, and the previous generation still on
#: sale; Graviton = arm64). Families EKS managed node groups cannot run (mac*, the u-*
#: high-memory metal types) are left out, and so is p2 (Kepler: no current NVIDIA driver).
EC2_FAMILIES = _families(
    (
        "t2 t3 t3a m4 m5 m5a m5ad m5d m5dn m5n m5zn m6a m6i m6id m6idn m6in m7a m7i m7i-flex "
        "m8a m8i m8i-flex c4 c5 c5a c5ad c5d c5n c6a c6i c6id c6in c7a c7i c7i-flex c8a c8i "
        "c8i-flex r4 r5 r5a r5ad r5b r5d r5dn r5n r6a r6i r6id r6idn r6in r7a r7i r7iz r8a "
        "r8i r8i-flex x1 x1e x2idn x2iedn x2iezn x8i z1d d2 d3 d3en h1 i3 i3en i4i i7i i7ie "
        "hpc6a hpc6id hpc7a t1 m1 m2 m3 c1 c3 r3 i2 cc2 cr1 hs1",
        X86_64,
        None,
    ),
    (
        "a1 t4g m6g m6gd m7g m7gd m8g m8gd c6g c6gd c6gn c7g c7gd c7gn c8g c8gd c8gn r6g "
        "r6gd r7g r7gd r8g r8gd x2gd x8g im4gn is4gen i4g i8g i8ge hpc7g",
        ARM64,
        None,
    ),
    (
        "g3 g3s g4dn g5 g6 g6e g6f gr6 gr6f g7e p3 p3dn p4d p4de p5 p5e p5en p6-b200 p6-b300",
        X86_64,
        NVIDIA,
    ),
    ("g5g p6e-gb200", ARM64, NVIDIA),
    ("inf1 inf2 trn1 trn1n trn2", X86_64, NEURON),
    ("g4ad", X86_64, AMD_GPU),
    ("dl1 dl2q f1 f2 vt1", X86_64, OTHER),
)
#: EBS volume types a node's root volume can be (st1 and sc1 cannot boot; io1 and io2 need
#: provisioned IOPS, which the model does not set). Every EC2 family attaches them.
EBS_ROOT_TYPES = ("gp3", "gp2")

_EC2_TYPE = re.compile(
    r"^(?P<family>[a-z][a-z0-9]*(?:-[a-z0-9]+)?)\."
    r"(?P<size>nano|micro|small|medium|large|[0-9]*xlarge|metal(?:-[0-9]+xl)?)\Z"
)


def _ec2(name: str) -> Machine | str:
    match = _EC2_TYPE.match(name)
    assert match is not None  # the form was checked
    family = match["family"]
    known = EC2_FAMILIES.get(family)
    if known is None:
        return (
            f"{name!r}: EC2 family {family!r} is not in treeform's table of EC2 families "
            f"(taken {TAKEN}; docs/engines/eks.md)"
        )
    arch, accel = known
    return Machine(name, family, arch, accel, disks=EBS_ROOT_TYPES)


AWS = Catalog(
    "aws",
    _EC2_TYPE,
    "an EC2 instance type (FAMILY.SIZE, like m6i.large, m7g.xlarge or g5.2xlarge)",
    _ec2,
    "Amazon EC2 instance types guide",
)


# --- Google Cloud (Compute Engine) -------------------------------------------------------

_PD = ("pd-balanced", "pd-standard", "pd-ssd")
_PD_HYPERDISK = ("pd-balanced", "pd-ssd", "hyperdisk-balanced")
_HYPERDISK = ("hyperdisk-balanced",)

#: Compute Engine machine families: architecture and the boot disk types GKE can give a
#: node (pd-balanced, pd-standard, pd-ssd, hyperdisk-balanced), compiled 2026-12-01 from
#: the Compute Engine machine families guide and its "supported disk types" tables
#: (cloud.google.com/compute/docs/machine-resource). N4, N4D, N4A, C4, C4A, C4D, H4D, M4,
#: X4, A4, A4X, G4 and A3 Ultra attach Hyperdisk only.
GCE_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    **dict.fromkeys(
        ("e2", "n1", "f1", "g1", "n2", "n2d", "c2", "c2d", "t2d", "m1", "m2", "a2"), (X86_64, _PD)
    ),
    "t2a": (ARM64, _PD),
    **dict.fromkeys(("c3", "c3d", "m3", "z3", "a3"), (X86_64, _PD_HYPERDISK)),
    "h3": (X86_64, ("pd-balanced", "hyperdisk-balanced")),
    "g2": (X86_64, ("pd-balanced", "pd-ssd")),
    **dict.fromkeys(
        ("n4", "n4d", "c4", "c4d", "h4d", "m4", "x4", "a4", "g4"), (X86_64, _HYPERDISK)
    ),
    **dict.fromkeys(("n4a", "c4a", "a4x"), (ARM64, _HYPERDISK)),
}

#: Accelerator-optimized machine types: the GPU GKE attaches with each (its
#: `guest_accelerator.type`) and how many, from the Compute Engine GPU machine types page
#: (cloud.google.com/compute/docs/gpus), taken 2026-12-01.
GCE_GPU_TYPES: dict[str, tuple[re.Pattern[str], str]] = {
    "a2-highgpu": (re.compile(r"^a2-highgpu-(?P<n>1|2|4|8)g\Z"), "nvidia-tesla-a100"),
    "a2-megagpu": (re.compile(r"^a2-megagpu-(?P<n>16)g\Z"), "nvidia-tesla-a100"),
    "a2-ultragpu": (re.compile(r"^a2-ultragpu-(?P<n>1|2|4|8)g\Z"), "nvidia-a100-80gb"),
    "a3-highgpu": (re.compile(r"^a3-highgpu-(?P<n>1|2|4|8)g\Z"), "nvidia-h100-80gb"),
    "a3-edgegpu": (re.compile(r"^a3-edgegpu-(?P<n>8)g\Z"), "nvidia-h100-80gb"),
    "a3-megagpu": (re.compile(r"^a3-megagpu-(?P<n>8)g\Z"), "nvidia-h100-mega-80gb"),
    "a3-ultragpu": (re.compile(r"^a3-ultragpu-(?P<n>8)g\Z"), "nvidia-h200-141gb"),
    "a4-highgpu": (re.compile(r"^a4-highgpu-(?P<n>8)g\Z"), "nvidia-b200"),
    "a4x-highgpu": (re.compile(r"^a4x-highgpu-(?P<n>4)g\Z"), "nvidia-gb200"),
}
#: G2 and G4 name their vCPUs, not their GPUs: vCPUs -> GPUs.
G2_GPUS = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}
G4_GPUS = {48: 1, 96: 2, 192: 4, 384: 8}
_G_SERIES = re.compile(r"^(?P<family>g2|g4)-standard-(?P<cpus>[0-9]+)\Z")

#: `FAMILY-TYPE[-N...]` (e2-standard-4, c3-standard-4-lssd, a2-highgpu-1g, e2-micro), or a
#: custom type (custom-4-8192 is N1, n2-custom-4-8192-ext).
_GCE_TYPE = re.compile(
    r"^(?:[a-z]+[0-9][a-z0-9]*-)?custom-[0-9]+-[0-9]+(?:-ext)?\Z"
    r"|^[a-z]+[0-9][a-z0-9]*-[a-z]+(?:-[0-9]+[a-z]*)?(?:-[a-z0-9]+)*\Z"
)


def _gce(name: str) -> Machine | str:
    family = "n1" if name.startswith("custom-") else name.split("-", 1)[0]
    known = GCE_FAMILIES.get(family)
    if known is None and family.startswith("ct"):
        return (
            f"{name!r} is a TPU machine type: TPU node pools need a placement policy and "
            "topology that treeform does not write yet"
        )
    if known is None:
        return (
            f"{name!r}: machine family {family!r} is not in treeform's table of Compute "
            f"Engine families (taken {TAKEN}; docs/engines/gke.md)"
        )
    arch, disks = known
    series = "-".join(name.split("-")[:2])
    if family in ("a2", "a3", "a4", "a4x"):
        gpu = GCE_GPU_TYPES.get(series)
        match = gpu[0].match(name) if gpu else None
        if gpu is None or match is None:
            return (
                f"{name!r} is not a {family.upper()} machine type "
                f"(like {family}-highgpu-{'4' if family == 'a4x' else '8'}g)"
            )
        if series == "a3-ultragpu":
            disks = _HYPERDISK
        return Machine(name, family, arch, NVIDIA, gpu[1], int(match["n"]), disks)
    if family in ("g2", "g4"):
        match = _G_SERIES.match(name)
        table = G2_GPUS if family == "g2" else G4_GPUS
        cpus = int(match["cpus"]) if match else 0
        if cpus not in table:
            return (
                f"{name!r} is not a {family.upper()} machine type ({family}-standard-N, N one "
                f"of {', '.join(str(n) for n in sorted(table))})"
            )
        gpu_type = "nvidia-l4" if family == "g2" else "nvidia-rtx-pro-6000"
        return Machine(name, family, arch, NVIDIA, gpu_type, table[cpus], disks)
    return Machine(name, family, arch, disks=disks)


GCP = Catalog(
    "gcp",
    _GCE_TYPE,
    "a Compute Engine machine type (FAMILY-TYPE-N, like e2-standard-4 or n2-highmem-8)",
    _gce,
    "Compute Engine machine families guide",
)


# --- Azure (VM sizes) --------------------------------------------------------------------

#: Azure VM size families (the letters before the vCPU count), compiled 2026-12-01 from
#: the Azure VM sizes overview (learn.microsoft.com/azure/virtual-machines/sizes/overview).
#: NC, NCC, ND and NV carry NVIDIA GPUs except NVv4 (AMD); NG is AMD; NP is FPGA. A `p` among a
#: size's features (Dpsv5, Dplds_v6, Epsv6) is an Arm64 (Ampere Altra, Cobalt 100) size;
#: the GB200/GB300 ND sizes are Arm64 (Grace) too.
AZURE_FAMILIES = frozenset(
    "A B D DS DC E EC F FS FX G GS H HB HC HX L LS M MS NC NCC ND NV NG NP".split()
)
#: `os_disk_type` of an AKS pool; AKS itself picks the storage SKU (Premium SSD where the
#: size takes it).
AKS_OS_DISKS = ("Managed", "Ephemeral")

#: Standard_D4s_v5, Standard_E8-4ds_v5, Standard_NC24ads_A100_v4, Standard_DS2_v2, Standard_B2s
_AZURE_SIZE = re.compile(
    r"^Standard_(?P<family>[A-Z]+)(?P<cpus>[0-9]+)(?:-[0-9]+)?(?P<features>[a-z]*)"
    r"(?:_(?P<accel>[A-Z][A-Za-z0-9]*))*(?:_v(?P<version>[0-9]+))?(?:_Promo)?\Z"
)
_GRACE = re.compile(r"_GB[0-9]+_")


def _azure(name: str) -> Machine | str:
    match = _AZURE_SIZE.match(name)
    if match is None:
        return f"{name!r} is not an Azure VM size AKS takes (like Standard_D4s_v5)"
    family = match["family"]
    if family not in AZURE_FAMILIES:
        return (
            f"{name!r}: VM family {family!r} is not in treeform's table of Azure VM families "
            f"(taken {TAKEN}; docs/engines/aks.md)"
        )
    features = match["features"]
    arch = ARM64 if "p" in features or _GRACE.search(name) else X86_64
    version = int(match["version"] or 1)
    accel: str | None = None
    if family in ("NC", "NCC", "ND") or (family == "NV" and version != 4):
        accel = NVIDIA
    elif family in ("NG", "NV"):
        accel = AMD_GPU
    elif family == "NP":
        accel = OTHER
    # v5 and later sizes without a local disk (no `d`) have no cache or temp disk to hold
    # an ephemeral OS disk.
    disks = AKS_OS_DISKS if version < 5 or "d" in features else AKS_OS_DISKS[:1]
    return Machine(name, family, arch, accel, disks=disks)


AZURE = Catalog(
    "azure",
    re.compile(r"^Standard_[A-Z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*\Z"),
    "an Azure VM size; AKS takes names like Standard_D4s_v5",
    _azure,
    "Azure VM sizes overview",
)


# --- Oracle Cloud (shapes) ---------------------------------------------------------------

#: OCI shapes: `VM|BM.<series>[.<model>].<size>`; Standard.A1, A2 and A4 are Arm64 (Ampere),
#: the GPU series carry NVIDIA GPUs (GB200 on Arm64 Grace), MI300X is AMD; compiled
#: 2026-12-01 from the OCI compute shapes page (docs.oracle.com/iaas/Content/Compute/
#: References/computeshapes.htm).
_OCI_SHAPE = re.compile(r"^(VM|BM)\.[A-Za-z0-9]+(\.[A-Za-z0-9-]+)+\Z")
_OCI_ARM = re.compile(r"^(VM|BM)\.Standard\.A[0-9]+\.")
_OCI_GPU = re.compile(r"^(VM|BM)\.GPU")


def _oci(name: str) -> Machine | str:
    parts = name.split(".")
    series = parts[1]
    if _OCI_GPU.match(name):
        if "MI300X" in name:
            return Machine(name, series, X86_64, AMD_GPU)
        arch = ARM64 if re.search(r"\.G[BH][0-9]+\.", name) else X86_64
        return Machine(name, series, arch, NVIDIA)
    arch = ARM64 if _OCI_ARM.match(name) else X86_64
    return Machine(name, series, arch)


ORACLE = Catalog(
    "oracle",
    _OCI_SHAPE,
    "an OCI shape (like VM.Standard.E4.Flex or VM.Standard2.4)",
    _oci,
    "OCI compute shapes page",
)


# --- DigitalOcean (Droplet sizes) --------------------------------------------------------

#: Droplet size slugs: s-2vcpu-4gb, c-4, g-2vcpu-8gb, so1_5-2vcpu-16gb, gpu-h100x1-80gb.
#: Every Droplet is x86_64; `gpu-*` sizes are GPU Droplets (AMD Instinct for gpu-mi*), as
#: the DigitalOcean GPU Droplets page lists them (taken 2026-12-01).
_DO_SIZE = re.compile(r"^[a-z][a-z0-9_]*(-[a-z0-9]+)+\Z")


def _do(name: str) -> Machine | str:
    family = name.split("-", 1)[0]
    if family == "gpu":
        accel = AMD_GPU if name.startswith("gpu-mi") else NVIDIA
        return Machine(name, family, X86_64, accel)
    return Machine(name, family, X86_64)


DIGITALOCEAN = Catalog(
    "digitalocean",
    _DO_SIZE,
    "a DigitalOcean Droplet size; DOKS takes slugs like s-2vcpu-4gb",
    _do,
    "DigitalOcean Droplet sizes",
)


def describe(machine: Machine) -> str:
    """`m7g.large (arm64)`, `g5.xlarge (x86_64, NVIDIA GPU)`, for messages."""
    what = {NVIDIA: "NVIDIA GPU", NEURON: "AWS Neuron", AMD_GPU: "AMD GPU", OTHER: "accelerator"}
    extra = f", {what[machine.accelerator]}" if machine.accelerator else ""
    return f"{machine.name} ({machine.arch}{extra})"


# --- Alibaba, Tencent, Huawei: the Arm64 families --------------------------------------

#: Arm64 ECS families (Yitian 710: g8y, c8y, r8y; Ampere Altra: g6r, c6r), from the
#: Alibaba Cloud ECS instance families page, taken 2026-12-01. ACK boots them from the
#: AliyunLinux3Arm64 image.
ACK_ARM_FAMILIES = frozenset({"g8y", "c8y", "r8y", "g6r", "c6r"})
#: Arm64 CVM families (SR1, Ampere Altra), from the Tencent Cloud CVM instance types page.
TKE_ARM_FAMILIES = frozenset({"SR1"})
#: Arm64 ECS flavors (Kunpeng: kc1, kc2, km1, km2, ...), from the Huawei Cloud ECS
#: specifications page.
_CCE_ARM = re.compile(r"^k[a-z]*[0-9]")


def ecs_arch(instance_type: str) -> str:
    """Alibaba: `ecs.g8y.large` is arm64."""
    parts = instance_type.split(".")
    return ARM64 if len(parts) > 1 and parts[1] in ACK_ARM_FAMILIES else X86_64


def cvm_arch(instance_type: str) -> str:
    """Tencent: `SR1.MEDIUM4` is arm64."""
    return ARM64 if instance_type.split(".", 1)[0] in TKE_ARM_FAMILIES else X86_64


def huawei_arch(flavor: str) -> str:
    """Huawei: `kc1.large.2` is arm64."""
    return ARM64 if _CCE_ARM.match(flavor) else X86_64
