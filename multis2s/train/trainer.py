"""The training loop: bucketed batches, AdamW, schedules, validation, checkpoints, exact resume.

Resuming restores the model, optimizer, scheduler, both random generators and the position in
the epoch's batch order (which depends only on the seed and the epoch), so a resumed run takes
exactly the steps the uninterrupted run would have taken. The first Ctrl-C finishes the current
update, saves ``last.pt`` and stops; a second one stops at once.
"""

from __future__ import annotations

import math
import random
import signal
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch
from tqdm import tqdm

from multis2s.assembly import Parts
from multis2s.checkpoint import Checkpoint, TrainingState
from multis2s.config import config_to_dict
from multis2s.data.batching import bucketed_batches
from multis2s.data.example import Example
from multis2s.data.loader import Batch, EpochBatches, ExampleTensors, make_loader
from multis2s.data.vocabulary import PAD_ID
from multis2s.device import autocast, grad_scaler
from multis2s.evaluation import decode, metric_direction, score
from multis2s.loss import sequence_loss
from multis2s.run_folder import RunFolder
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from multis2s.train.schedule import lr_factor, teacher_forcing_ratio


@dataclass
class Progress:
    """Where training stands; saved in every checkpoint."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best: float | None = None
    best_loss: float = math.inf
    stale_validations: int = 0
    early_stopped: bool = False


def is_better(value: float, loss: float, best: float | None, best_loss: float, higher_is_better: bool) -> bool:
    """Whether a validation beats the best so far: by the chosen metric, ties broken by lower dev loss."""
    if best is None:
        return True
    if value != best:
        return value > best if higher_is_better else value < best
    return loss < best_loss


class LogWindow:
    """Loss, target tokens and examples since the last ``metrics.jsonl`` line, and their time; how
    much of that time went to waiting for batches, and how much of the batches was padding."""

    def __init__(self) -> None:
        self.loss, self.tokens, self.examples, self.start = 0.0, 0, 0, time.perf_counter()
        self.waited = 0.0
        self.cells = {"source": [0, 0], "target": [0, 0]}  # real, padded positions

    def add(self, loss_sum: float, tokens: int, batch: Batch, waited: float) -> None:
        self.loss, self.tokens = self.loss + loss_sum, self.tokens + tokens
        self.examples += len(batch.indices)
        self.waited += waited
        for lengths in batch.source_lengths.values():
            self._count("source", int(lengths.sum()), lengths.numel() * int(lengths.max()))
        self._count("target", tokens, batch.targets_out.numel())

    def _count(self, side: str, real: int, padded: int) -> None:
        self.cells[side][0] += real
        self.cells[side][1] += padded

    def summary(self) -> dict[str, float]:
        """Mean loss per token, tokens/s and examples/s over the window, with its tokens and seconds,
        the share of the time spent waiting for data and the padding share of sources and targets."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        padding = {f"{side}_padding": 1 - real / max(1, padded) for side, (real, padded) in self.cells.items()}
        return {"loss": self.loss / max(1, self.tokens), "tokens_per_s": self.tokens / elapsed,
                "examples_per_s": self.examples / elapsed, "tokens": self.tokens, "seconds": elapsed,
                "data_wait": self.waited / elapsed, **padding}


def _optimizer(parts: Parts) -> torch.optim.Optimizer:
    train = parts.config.train
    params = [p for p in parts.model.parameters() if p.requires_grad]
    if train.optimizer == "sgd":
        return torch.optim.SGD(params, lr=train.lr, momentum=train.betas[0], weight_decay=train.weight_decay)
    kind = torch.optim.AdamW if train.optimizer == "adamw" else torch.optim.Adam
    # The fused kernel updates every parameter in one pass per tensor (CPU and CUDA).
    return kind(params, lr=train.lr, betas=train.betas, weight_decay=train.weight_decay, fused=True)


class StopRequest:
    """Turns the first SIGINT into a flag checked between updates; the second interrupts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> "StopRequest":
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self._previous = None
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    """Trains ``parts.model`` on ``train`` examples, validating on ``dev``, writing into ``folder``."""

    def __init__(self, parts: Parts, *, train: list[Example], dev: list[Example], folder: RunFolder,
                 device: torch.device) -> None:
        self.parts, self.train_examples, self.dev_examples = parts, train, dev
        self.config = parts.config
        self.folder, self.device = folder, device
        self.model = parts.model
        self.forward = torch.compile(self.model, dynamic=True) if self.config.train.compile else self.model
        self.optimizer = _optimizer(parts)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, self.config.train))
        self.scaler = grad_scaler(device, self.config.train.amp)
        self.progress = Progress()
        self.tensors = ExampleTensors(train, parts.streams, parts.target, train=True)
        self.lengths = [parts.streams.length(e) + len(parts.target.encode(e.target)) for e in train]
        names = list(self.config.eval.metrics)
        self.best_metric = self.config.train.best_metric or (names[0] if names else "loss")
        self.higher_is_better = metric_direction(parts.registry, self.best_metric)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Continue from a ``last.pt`` checkpoint (weights, optimizer, scheduler, progress, random state)."""
        training = checkpoint.training
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(training.optimizer)
        self.scheduler.load_state_dict(training.scheduler)
        self.progress = Progress(**checkpoint.progress)
        torch.set_rng_state(training.rng["torch"])
        random.setstate(training.rng["python"])
        if torch.cuda.is_available() and training.rng.get("cuda"):
            torch.cuda.set_rng_state_all(training.rng["cuda"])

    def _checkpoint(self, *, full: bool, metrics: dict[str, float] | None = None) -> Checkpoint:
        training = None
        if full:
            rng = {"torch": torch.get_rng_state(), "python": random.getstate(),
                   "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
            training = TrainingState(self.optimizer.state_dict(), self.scheduler.state_dict(), rng)
        return Checkpoint(config=config_to_dict(self.config), model=self.model.state_dict(),
                          sources=self.parts.streams.state(), target=self.parts.target.state(),
                          progress=asdict(self.progress), metrics=metrics or {}, training=training)

    def _epoch_batches(self) -> list[list[int]]:
        data = self.config.data
        return bucketed_batches(self.lengths, batch_size=data.batch_size, unit=data.batch_unit,
                                seed=self.config.seed * 1000 + self.progress.epoch)

    def _update(self, batch: Batch) -> tuple[float, int]:
        """One optimiser update; returns (summed loss, target tokens)."""
        train = self.config.train
        self.model.train()
        with autocast(self.device, train.amp):
            log_probs, _ = self.forward(batch.sources, batch.source_lengths, batch.targets_in,
                                        teacher_forcing_ratio(self.progress.step, train))
        loss_sum, tokens = sequence_loss(log_probs, batch.targets_out, pad_id=PAD_ID,
                                         label_smoothing=train.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss_sum / max(1, tokens)).backward()
        if train.clip_grad_norm:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), train.clip_grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return loss_sum.item(), tokens

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Dev loss (teacher forced) and the config's metrics on decoded dev examples."""
        examples = self.dev_examples[: self.config.train.validation_examples or None]
        tensors = ExampleTensors(examples, self.parts.streams, self.parts.target, train=False)
        batches = bucketed_batches([self.parts.streams.length(e) for e in examples],
                                   batch_size=self.config.eval.batch_size, unit="examples", seed=0, shuffle=False)
        self.model.eval()
        total, count = 0.0, 0
        for batch in make_loader(tensors, batches, num_workers=0, pin_memory=False):
            batch = batch.to(self.device)
            log_probs, _ = self.model(batch.sources, batch.source_lengths, batch.targets_in)
            loss_sum, tokens = sequence_loss(log_probs, batch.targets_out, pad_id=PAD_ID)
            total, count = total + float(loss_sum), count + tokens
        settings = self.config.eval
        decoded = decode(self.model, self.parts.streams, self.parts.target, examples, search=GreedySearch(),
                         max_length=MaxLength(settings.max_length_ratio, settings.max_length_offset),
                         batch_size=settings.batch_size, device=self.device)
        results = {"loss": total / max(1, count)}
        results.update(score(self.parts.registry, list(self.config.eval.metrics), decoded,
                             normalise=self.config.eval.normalise))
        return results

    def _after_validation(self, results: dict[str, float]) -> bool:
        """Record, keep the best checkpoint, and say whether early stopping is due."""
        value, loss = results[self.best_metric], results["loss"]
        better = is_better(value, loss, self.progress.best, self.progress.best_loss, self.higher_is_better)
        if better:
            self.progress.best, self.progress.best_loss, self.progress.stale_validations = value, loss, 0
            self._checkpoint(full=False, metrics=results).save(self.folder.checkpoint("best"))
        else:
            self.progress.stale_validations += 1
        self.folder.metrics.append({"step": self.progress.step, "epoch": self.progress.epoch, "split": "dev", **results,
                   "best": better})
        patience = self.config.train.early_stopping_patience
        return patience is not None and self.progress.stale_validations >= patience

    def _done(self) -> bool:
        train, progress = self.config.train, self.progress
        return progress.early_stopped or progress.epoch >= train.max_epochs or (
            train.max_steps is not None and progress.step >= train.max_steps)

    def fit(self) -> bool:
        """Train until max_steps / max_epochs / early stopping. False when stopped by Ctrl-C."""
        train = self.config.train
        steps_per_epoch = len(self._epoch_batches())
        total = train.max_steps or train.max_epochs * steps_per_epoch
        bar = tqdm(total=total, initial=min(total, self.progress.step), disable=not train.progress,
                   unit="step", dynamic_ncols=True, desc="training")
        window = LogWindow()
        epoch_batches = EpochBatches()
        loader = make_loader(self.tensors, epoch_batches, num_workers=self.config.data.num_workers,
                             pin_memory=self.device.type == "cuda",
                             seed=self.config.seed * 1000 + self.progress.epoch)
        with StopRequest() as stop:
            while not self._done() and not stop.requested:
                epoch_batches.batches = self._epoch_batches()[self.progress.batch_in_epoch:]
                asked = time.perf_counter()
                for batch in loader:
                    waited = time.perf_counter() - asked
                    loss_sum, tokens = self._update(batch.to(self.device))
                    if not math.isfinite(loss_sum):
                        raise FloatingPointError(f"loss is {loss_sum} at step {self.progress.step}")
                    self.progress.step += 1
                    self.progress.batch_in_epoch += 1
                    window.add(loss_sum, tokens, batch, waited)
                    bar.update(1)
                    if self.progress.step % train.log_every == 0:
                        record = {"step": self.progress.step, "epoch": self.progress.epoch, "split": "train",
                                  "lr": self.scheduler.get_last_lr()[0], **window.summary()}
                        self.folder.metrics.append(record)
                        bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{record['tokens_per_s']:.0f}")
                        window = LogWindow()
                    if self.progress.step % train.validate_every == 0:
                        paused = time.perf_counter()
                        self.progress.early_stopped = self._after_validation(self.validate())
                        self._checkpoint(full=True).save(self.folder.checkpoint("last"))
                        window.start += time.perf_counter() - paused  # throughput counts training only
                    if self._done() or stop.requested:
                        break
                    asked = time.perf_counter()
                else:
                    self.progress.epoch += 1
                    self.progress.batch_in_epoch = 0
            bar.close()
            interrupted = stop.requested and not self._done()
            if not interrupted and self.progress.step % train.validate_every != 0:
                self.progress.early_stopped = self._after_validation(self.validate())
            self._checkpoint(full=True).save(self.folder.checkpoint("last"))
        return not interrupted
