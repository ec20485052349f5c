"""Device choice and mixed precision: CUDA with autocast when present, else the CPU (bf16 autocast
on request where the CPU has native bf16)."""

from __future__ import annotations

import contextlib

import torch

from multis2s.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is a config error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' was asked for but no CUDA device is available (use 'auto' or 'cpu')")
    return torch.device(name)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); elsewhere oneDNN emulates
    it, slower than float32."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def check_cpu_bf16(device: torch.device, cpu_bf16: bool) -> None:
    """``train.cpu_bf16`` on a CPU run needs native bf16: a config error names what is missing."""
    if cpu_bf16 and device.type == "cpu" and not cpu_has_native_bf16():
        raise ConfigError("train.cpu_bf16: this CPU has neither AVX512-BF16 nor AMX, so bf16 would be emulated "
                          "and slower than float32; leave it false here")


def autocast(device: torch.device, enabled: bool, cpu_bf16: bool = False):
    """bf16 (or fp16) autocast on CUDA when ``enabled``; on the CPU bf16 autocast when ``cpu_bf16``,
    else a no-op context."""
    if device.type == "cpu":
        return torch.autocast("cpu", dtype=torch.bfloat16) if cpu_bf16 else contextlib.nullcontext()
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def grad_scaler(device: torch.device, enabled: bool) -> torch.amp.GradScaler:
    """A loss scaler, active only for fp16 autocast on CUDA."""
    active = device.type == "cuda" and enabled and not torch.cuda.is_bf16_supported()
    return torch.amp.GradScaler("cuda", enabled=active)
