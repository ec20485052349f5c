"""Data-parallel training over processes started by ``torchrun`` (NCCL on GPUs, gloo on the CPU).

``torchrun --nproc_per_node N -m multis2s train CONFIG`` starts N copies of the command line with
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` set; :func:`processes_from_environment` joins them into
one process group. ``data.batch_size`` stays the global batch: every process makes the same seeded
batch list and takes every N-th example of each batch (:meth:`Processes.shard`), so the same
config trains the same model on one process or many. Without ``torchrun`` there is one process
and every collective below is the identity.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from multis2s.errors import ConfigError

TIMEOUT = datetime.timedelta(minutes=60)
"""How long a process waits for the others (rank 0 validates alone meanwhile)."""


@dataclass(frozen=True)
class Processes:
    """This process's place among the training processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes the run folder, logs and validates."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def device(self, device: torch.device) -> torch.device:
        """This process's own GPU when training on CUDA."""
        return torch.device("cuda", self.local_rank) if device.type == "cuda" and self.distributed else device

    def shard(self, batch: list[int]) -> tuple[list[int], bool]:
        """This process's part of a global batch: every ``world_size``-th example from ``rank``, and
        False when the batch has fewer examples than processes and this one gets none (it then
        computes on the batch's first example with weight 0, so that every process takes part in
        the gradient reduction)."""
        part = batch[self.rank::self.world_size]
        return (part, True) if part else (batch[:1], False)

    def sum(self, values: list[float], device: torch.device) -> list[float]:
        """Element-wise sum of ``values`` over the processes."""
        if not self.distributed:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value``, by rank."""
        if not self.distributed:
            return [value]
        values: list[Any] = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def from_main(self, value: Any) -> Any:
        """Rank 0's ``value``, on every process."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def wait_for_all(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def processes_from_environment(device: torch.device) -> Processes:
    """The process group ``torchrun`` describes in the environment (one process without it)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Processes()
    try:
        processes = Processes(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    except (KeyError, ValueError):
        raise ConfigError("WORLD_SIZE is set but RANK is not a number: start several processes with torchrun") from None
    if device.type == "cuda" and torch.cuda.device_count() <= processes.local_rank:
        raise ConfigError(f"process {processes.rank} has local rank {processes.local_rank}, but this machine has "
                          f"{torch.cuda.device_count()} GPU(s): use --nproc_per_node <= the GPU count")
    if device.type == "cuda":
        torch.cuda.set_device(processes.local_rank)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=processes.rank, world_size=world_size, timeout=TIMEOUT)
    return processes
