"""Object storage across satellites: tenants, buckets and objects of real bytes, encrypted,
erasure-coded or replicated over failure domains, sovereign, timed over the contact plan,
with faults, scrubbing and repair.

Modules: :mod:`.codec` (replication, Reed-Solomon), :mod:`.crypto` (data keys, key wrap,
AES-GCM, HMAC checksums), :mod:`.keys` (the master key), :mod:`.shardstore` (atomic on-disk
shards), :mod:`.catalog` (the SQLite catalog), :mod:`.placement` (nodes, policies, failure
domains), :mod:`.sovereignty`, :mod:`.timing` (CGR over the contact plan), :mod:`.service`
(:class:`ObjectStore`: layout, crash protocol, locking), :mod:`.repair` (scrub, repair),
:mod:`.faults`, :mod:`.run` (:func:`run_storage` for ``orbitcloud run``).
"""

from orbitcloud.storage.catalog import CatalogError
from orbitcloud.storage.codec import Codec, ErasureCodec, ReplicationCodec, codec_for
from orbitcloud.storage.crypto import (
    DataKey,
    IntegrityError,
    checksum,
    new_data_key,
    open_sealed,
    seal,
    sha256_hex,
)
from orbitcloud.storage.faults import FAULT_KINDS, FaultEvent, apply_fault, read_fault_csv
from orbitcloud.storage.keys import MasterKey, MasterKeyError, master_key
from orbitcloud.storage.placement import (
    Erasure,
    PlacementError,
    PlacementPolicy,
    Replication,
    StorageNode,
)
from orbitcloud.storage.repair import RepairResult, ScrubResult, repair, scrub
from orbitcloud.storage.run import StorageReport, policy_of, run_storage, storage_nodes
from orbitcloud.storage.service import (
    ATTRS_MAX_BYTES,
    BucketInfo,
    BucketNotEmptyError,
    GetResult,
    InvalidAttrsError,
    InvalidNameError,
    NodeMismatchError,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectInfo,
    ObjectLostError,
    ObjectStore,
    PutResult,
    RetiredKeyError,
    RotationResult,
    StorageError,
    StoreLockedError,
    check_attrs,
    check_key,
)
from orbitcloud.storage.shardstore import ShardRead, ShardState, ShardStore, UnsafePathError
from orbitcloud.storage.sovereignty import SovereigntyError, SovereigntyPolicy
from orbitcloud.storage.timing import NetworkTimer, Transfer

__all__ = [
    "ATTRS_MAX_BYTES",
    "FAULT_KINDS",
    "BucketInfo",
    "BucketNotEmptyError",
    "CatalogError",
    "Codec",
    "DataKey",
    "Erasure",
    "ErasureCodec",
    "FaultEvent",
    "GetResult",
    "IntegrityError",
    "InvalidAttrsError",
    "InvalidNameError",
    "MasterKey",
    "MasterKeyError",
    "NetworkTimer",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "NodeMismatchError",
    "ObjectInfo",
    "ObjectLostError",
    "ObjectStore",
    "PlacementError",
    "PlacementPolicy",
    "PutResult",
    "RepairResult",
    "Replication",
    "ReplicationCodec",
    "RetiredKeyError",
    "RotationResult",
    "ScrubResult",
    "ShardRead",
    "ShardState",
    "ShardStore",
    "SovereigntyError",
    "SovereigntyPolicy",
    "StorageError",
    "StorageNode",
    "StorageReport",
    "StoreLockedError",
    "Transfer",
    "UnsafePathError",
    "apply_fault",
    "check_attrs",
    "check_key",
    "checksum",
    "codec_for",
    "master_key",
    "new_data_key",
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
