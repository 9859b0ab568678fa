"""Object storage across satellites: tenants, buckets and objects of real bytes, encrypted,
erasure-coded or replicated over failure domains, sovereign, timed over the contact plan,
with faults, scrubbing and repair.

Modules: :mod:`.codec` (replication, Reed-Solomon), :mod:`.crypto` (keys, AES-GCM, SHA-256),
:mod:`.shardstore` (atomic on-disk shards), :mod:`.placement` (nodes, policies, failure
domains), :mod:`.sovereignty`, :mod:`.timing` (CGR over the contact plan), :mod:`.service`
(:class:`ObjectStore`), :mod:`.repair` (scrub, repair), :mod:`.faults`, :mod:`.run`
(:func:`run_storage` for ``orbitcloud run``).
"""

from orbitcloud.cloud.storage.codec import Codec, ErasureCodec, ReplicationCodec, codec_for
from orbitcloud.cloud.storage.crypto import (
    IntegrityError,
    derive_tenant_key,
    master_key_from_seed,
    open_sealed,
    seal,
    sha256_hex,
)
from orbitcloud.cloud.storage.faults import FAULT_KINDS, FaultEvent, apply_fault, read_fault_csv
from orbitcloud.cloud.storage.placement import (
    Erasure,
    PlacementError,
    PlacementPolicy,
    Replication,
    StorageNode,
)
from orbitcloud.cloud.storage.repair import RepairResult, ScrubResult, repair, scrub
from orbitcloud.cloud.storage.run import StorageReport, policy_of, run_storage, storage_nodes
from orbitcloud.cloud.storage.service import (
    GetResult,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectInfo,
    ObjectLostError,
    ObjectStore,
    PutResult,
    StorageError,
)
from orbitcloud.cloud.storage.shardstore import ShardRead, ShardState, ShardStore
from orbitcloud.cloud.storage.sovereignty import SovereigntyError, SovereigntyPolicy
from orbitcloud.cloud.storage.timing import NetworkTimer, Transfer

__all__ = [
    "FAULT_KINDS",
    "Codec",
    "Erasure",
    "ErasureCodec",
    "FaultEvent",
    "GetResult",
    "IntegrityError",
    "NetworkTimer",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "ObjectInfo",
    "ObjectLostError",
    "ObjectStore",
    "PlacementError",
    "PlacementPolicy",
    "PutResult",
    "RepairResult",
    "Replication",
    "ReplicationCodec",
    "ScrubResult",
    "ShardRead",
    "ShardState",
    "ShardStore",
    "SovereigntyError",
    "SovereigntyPolicy",
    "StorageError",
    "StorageNode",
    "StorageReport",
    "Transfer",
    "apply_fault",
    "codec_for",
    "derive_tenant_key",
    "master_key_from_seed",
    "open_sealed",
    "policy_of",
    "read_fault_csv",
    "repair",
    "run_storage",
    "scrub",
    "seal",
    "sha256_hex",
    "storage_nodes",
]
