"""The training loop: bucketed batches, AdamW, schedules, validation, checkpoints, exact resume.

Resuming restores the model, optimizer, scheduler, both random generators and the position in
the epoch's batch order (which depends only on the seed and the epoch), so a resumed run takes
exactly the steps the uninterrupted run would have taken. ``last.pt`` is written before the first
update, at every validation, every ``train.save_every`` steps and every ``train.save_every_minutes``.
The first Ctrl-C or SIGTERM finishes the current update, saves ``last.pt`` and stops; a second one
stops at once. An update whose gradients are not finite is skipped and counted; after
``train.max_bad_steps`` of them in a row training stops with one line, and weights that are not
finite are never saved.

Under ``torchrun`` every process trains its shard of each global batch (:mod:`multis2s.distributed`)
through DistributedDataParallel; rank 0 alone validates and writes the run folder.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass

import torch
from tqdm import tqdm

from multis2s.assembly import Parts
from multis2s.checkpoint import Checkpoint, TrainingState
from multis2s.config import config_to_dict
from multis2s.data.batching import bucketed_batches
from multis2s.data.example import Example
from multis2s.data.loader import Batch, EpochBatches, ExampleTensors, example_seed, make_loader
from multis2s.data.vocabulary import PAD_ID
from multis2s.device import autocast, check_cpu_bf16, grad_scaler
from multis2s.distributed import Processes
from multis2s.errors import TrainingError
from multis2s.evaluation import Decoded, decode, metric_direction, score
from multis2s.loss import sequence_loss
from multis2s.model.ctc import ctc_loss_sum
from multis2s.run_folder import RunFolder
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from multis2s.train.console import Console, shows_progress_bar, validation_line
from multis2s.train.log_window import LogWindow
from multis2s.train.schedule import ctc_mix, lr_factor, teacher_forcing_ratio
from multis2s.train.stop import StopRequest
from multis2s.train.tensorboard import open_tensorboard


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
    bad_steps: int = 0
    """Updates skipped in a row for non-finite gradients."""


def is_better(value: float, loss: float, best: float | None, best_loss: float, higher_is_better: bool) -> bool:
    """Whether a validation beats the best so far: by the chosen metric, ties broken by lower dev loss."""
    if best is None:
        return True
    if value != best:
        return value > best if higher_is_better else value < best
    return loss < best_loss


def _optimizer(parts: Parts) -> torch.optim.Optimizer:
    train = parts.config.train
    params = [p for p in parts.model.parameters() if p.requires_grad]
    if train.optimizer == "sgd":
        return torch.optim.SGD(params, lr=train.lr, momentum=train.betas[0], weight_decay=train.weight_decay)
    kind = torch.optim.AdamW if train.optimizer == "adamw" else torch.optim.Adam
    # The fused kernel updates every parameter in one pass per tensor (CPU and CUDA).
    return kind(params, lr=train.lr, betas=train.betas, weight_decay=train.weight_decay, fused=True)


@dataclass
class Update:
    """What one update did, and what the processes agreed on before it."""

    loss_sum: float
    tokens: int
    applied: bool
    """False when the gradients were not finite and the update was skipped."""
    empty: bool
    """Some process's batch had no example that loaded, so no process trained on this one."""
    stop: bool
    """Some process was asked to stop."""
    save: bool
    """``train.save_every_minutes`` has passed on rank 0."""


def _finite(parameters) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in parameters)


class Trainer:
    """Trains ``parts.model`` on ``train`` examples, validating on ``dev``, writing into ``folder``."""

    def __init__(self, parts: Parts, *, train: list[Example], dev: list[Example], folder: RunFolder,
                 device: torch.device, processes: Processes = Processes()) -> None:
        self.parts, self.train_examples, self.dev_examples = parts, train, dev
        self.config = parts.config
        self.folder, self.device, self.processes = folder, device, processes
        self.console = Console(folder.log_file, speaks=processes.is_main)
        self.model = parts.model
        self.forward = self._wrapped(self.model)
        if processes.rank:  # the same initial weights everywhere, but each process its own dropout
            torch.manual_seed(self.config.seed * 1_000_003 + processes.rank)
            random.seed(self.config.seed * 1_000_003 + processes.rank)
        self.optimizer = _optimizer(parts)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, self.config.train))
        check_cpu_bf16(device, self.config.train.cpu_bf16)
        self.scaler = grad_scaler(device, self.config.train.amp)
        self.progress = Progress()
        self.tensors = ExampleTensors(train, parts.streams, parts.target, train=True,
                                      skip_bad=self.config.data.skip_bad, seed=self.config.seed)
        parts.streams.training_examples(train)
        self.target_lengths = [len(parts.target.encode(e.target)) for e in train]
        self.lengths = [parts.streams.length(e) + t for e, t in zip(train, self.target_lengths)]
        names = list(self.config.eval.metrics)
        self.best_metric = self.config.train.best_metric or (names[0] if names else "loss")
        self.higher_is_better = metric_direction(parts.registry, self.best_metric)
        self.last_saved = time.monotonic()
        self.skips_reported = False
        self.tensorboard = None

    def _wrapped(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module training calls: DistributedDataParallel over several processes, compiled on request."""
        if self.processes.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            model = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=ids, forward_sync_buffers=False, gradient_as_bucket_view=True,
                find_unused_parameters=len(self.parts.streams.names) > 1)  # a hidden stream leaves its encoder out
        return torch.compile(model, dynamic=True) if self.config.train.compile else model

    def restore(self, checkpoint: Checkpoint) -> None:
        """Continue from a ``last.pt`` checkpoint (weights, optimizer, scheduler, progress, random state)."""
        training = checkpoint.training
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(training.optimizer)
        self.scheduler.load_state_dict(training.scheduler)
        self.progress = Progress(**checkpoint.progress)
        rank, saved_by = self.processes.rank, len(training.rng)
        self.console.say(f"resumed from step {self.progress.step}")
        if saved_by != self.processes.world_size:
            self.console.say(f"note: {self.folder.checkpoint('last')} was written by {saved_by} training process(es) "
                             f"and resumes on {self.processes.world_size}: each process now sees other batches, so "
                             "the run will not repeat an uninterrupted one exactly")
        rng = training.rng[rank] if rank < saved_by else None
        if rng is not None:
            torch.set_rng_state(rng["torch"])
            random.setstate(rng["python"])
            if torch.cuda.is_available() and rng.get("cuda"):
                torch.cuda.set_rng_state_all(rng["cuda"])

    def _checkpoint(self, *, metrics: dict[str, float] | None = None,
                    training: TrainingState | None = None) -> Checkpoint:
        return Checkpoint(config=config_to_dict(self.config), model=self.model.state_dict(),
                          sources=self.parts.streams.state(), target=self.parts.target.state(),
                          progress=asdict(self.progress), metrics=metrics or {}, training=training)

    def _check_finite_weights(self) -> None:
        if not _finite(self.model.parameters()):
            raise TrainingError(f"step {self.progress.step}: the weights are no longer finite (is train.lr too "
                                f"high?); {self.folder.checkpoint('last')} keeps the last finite state")

    def save_last(self) -> None:
        """Write ``last.pt`` with everything resuming needs (a collective: every process calls it)."""
        rng = {"torch": torch.get_rng_state(), "python": random.getstate(),
               "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
        states = self.processes.gather(rng)
        if self.processes.is_main:
            self._check_finite_weights()
            training = TrainingState(self.optimizer.state_dict(), self.scheduler.state_dict(), states)
            self._checkpoint(training=training).save(self.folder.checkpoint("last"))
        self.last_saved = time.monotonic()

    def _epoch_batches(self) -> list[list[int]]:
        data, epoch, streams = self.config.data, self.progress.epoch, self.parts.streams
        lengths = self.lengths
        if streams.varies_length:  # bucket by the lengths this epoch's augmentation gives
            lengths = [streams.training_length(e, example_seed(self.config.seed, epoch, i)) + t
                       for i, (e, t) in enumerate(zip(self.tensors.examples, self.target_lengths))]
        return bucketed_batches(lengths, batch_size=data.batch_size, unit=data.batch_unit,
                                seed=self.config.seed * 1000 + epoch)

    def _save_due(self) -> bool:
        minutes = self.config.train.save_every_minutes
        return bool(minutes) and self.processes.is_main and time.monotonic() - self.last_saved >= minutes * 60

    def _update(self, batch: Batch, counts: bool, stop: StopRequest) -> Update:
        """One optimiser update on this process's part of a global batch (``counts`` False: a
        stand-in with weight 0 for a process whose part is empty). The loss is normalised by the
        target tokens of the whole global batch, so the averaged gradient is that of one process.
        A batch in which no example loaded (``data.skip_bad``) skips the update on every process."""
        train, processes = self.config.train, self.processes
        local_tokens = int((batch.targets_out != PAD_ID).sum()) if counts else 0
        tokens, empties, stops, saves = processes.sum(
            [local_tokens, float(batch.empty), float(stop.requested), float(self._save_due())], self.device)
        if empties:
            return Update(0.0, 0, False, True, stops > 0, saves > 0)
        batch = batch.to(self.device)
        self.model.train()
        with autocast(self.device, train.amp, train.cpu_bf16):
            prediction = self.forward(batch.sources, batch.source_lengths, batch.targets_in,
                                      teacher_forcing_ratio(self.progress.step, train))
        smoothing, vocab_size = train.label_smoothing, len(self.parts.target.vocabulary)
        loss_sum, _ = sequence_loss(prediction.log_probs, batch.targets_out, pad_id=PAD_ID,
                                    label_smoothing=smoothing, vocab_size=vocab_size)
        if prediction.alone:  # per-stream losses: the decoder on each stream alone
            mix = self.config.model.stream_loss_weight
            alone = [sequence_loss(log_probs, batch.targets_out.index_select(0, rows), pad_id=PAD_ID,
                                   label_smoothing=smoothing, vocab_size=vocab_size)[0]
                     for log_probs, rows in prediction.alone.values()]
            loss_sum = (1 - mix) * loss_sum + mix * torch.stack(alone).mean()
        if prediction.ctc is not None:  # joint CTC + attention
            mix = ctc_mix(self.config.model, self.progress.step)
            loss_sum = (1 - mix) * loss_sum + mix * ctc_loss_sum(prediction.ctc, batch.targets_out)
        self.optimizer.zero_grad(set_to_none=True)
        weight = processes.world_size if counts else 0
        self.scaler.scale(loss_sum * weight / max(1, tokens)).backward()
        self.scaler.unscale_(self.optimizer)
        parameters = [p for p in self.model.parameters() if p.grad is not None]
        if train.clip_grad_norm:
            norm = torch.nn.utils.clip_grad_norm_(parameters, train.clip_grad_norm)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in parameters])
        applied = bool(torch.isfinite(norm))  # equal on every process: the gradients were reduced
        if applied or self.scaler.is_enabled():  # the loss scaler skips non-finite steps itself
            self.scaler.step(self.optimizer)
            self.scheduler.step()  # the schedule counts the optimiser's updates
        self.scaler.update()
        return Update(loss_sum.item() if counts else 0.0, local_tokens, applied, False, stops > 0, saves > 0)

    @torch.no_grad()
    def validate(self) -> tuple[dict[str, float], list[Decoded]]:
        """Dev loss (teacher forced) and the config's metrics on decoded dev examples; the decoded examples."""
        examples = self.dev_examples[: self.config.train.validation_examples or None]
        tensors = ExampleTensors(examples, self.parts.streams, self.parts.target, train=False)
        batches = bucketed_batches([self.parts.streams.length(e) for e in examples],
                                   batch_size=self.config.eval.batch_size, unit="examples", seed=0, shuffle=False)
        self.model.eval()
        total, count = 0.0, 0
        for batch in make_loader(tensors, batches, num_workers=0, pin_memory=False):
            batch = batch.to(self.device)
            log_probs = self.model(batch.sources, batch.source_lengths, batch.targets_in).log_probs
            loss_sum, tokens = sequence_loss(log_probs, batch.targets_out, pad_id=PAD_ID)
            total, count = total + float(loss_sum), count + tokens
        settings = self.config.eval
        decoded = decode(self.model, self.parts.streams, self.parts.target, examples, search=GreedySearch(),
                         max_length=MaxLength(settings.max_length_ratio, settings.max_length_offset),
                         batch_size=settings.batch_size, device=self.device,
                         parallel_batches=settings.parallel_batches)
        results = {"loss": total / max(1, count)}
        results.update(score(self.parts.registry, list(self.config.eval.metrics), decoded,
                             normalise=self.config.eval.normalise))
        return results, decoded

    def _after_validation(self, results: dict[str, float], decoded: list[Decoded]) -> bool:
        """Record, keep the best checkpoint, and say whether early stopping is due."""
        value, loss = results[self.best_metric], results["loss"]
        better = is_better(value, loss, self.progress.best, self.progress.best_loss, self.higher_is_better)
        if better:
            self._check_finite_weights()
            self.progress.best, self.progress.best_loss, self.progress.stale_validations = value, loss, 0
            self._checkpoint(metrics=results).save(self.folder.checkpoint("best"))
        else:
            self.progress.stale_validations += 1
        self._keep_step_checkpoint(results)
        self.folder.metrics.append({"step": self.progress.step, "epoch": self.progress.epoch, "split": "dev", **results,
                   "best": better})
        self.console.say(validation_line(self.progress.step, results, best=better, lr=self.scheduler.get_last_lr()[0]))
        if self.tensorboard is not None:
            self.tensorboard.validation(self.progress.step, results, decoded)
        patience = self.config.train.early_stopping_patience
        return patience is not None and self.progress.stale_validations >= patience

    def _keep_step_checkpoint(self, results: dict[str, float]) -> None:
        """With ``train.keep_checkpoints: N``, this validation's weights as ``step-NNNNNNN.pt``; the oldest
        beyond N are deleted (``multis2s average`` averages them)."""
        keep = self.config.train.keep_checkpoints
        if not keep:
            return
        self._check_finite_weights()
        self._checkpoint(metrics=results).save(self.folder.step_checkpoint(self.progress.step))
        for old in self.folder.step_checkpoints()[:-keep]:
            old.unlink()

    def _validation(self) -> None:
        """Validate on rank 0 (the others wait) and agree on early stopping."""
        early = self._after_validation(*self.validate()) if self.processes.is_main else False
        self.progress.early_stopped = self.processes.from_main(early)

    def _done(self) -> bool:
        train, progress = self.config.train, self.progress
        return progress.early_stopped or progress.epoch >= train.max_epochs or (
            train.max_steps is not None and progress.step >= train.max_steps)

    def _count(self, update: Update, window: LogWindow) -> None:
        """Advance the step; count a skipped update, and stop after ``train.max_bad_steps`` in a row."""
        progress = self.progress
        progress.step += 1
        progress.batch_in_epoch += 1
        if update.empty:
            return
        progress.bad_steps = 0 if update.applied else progress.bad_steps + 1
        window.skipped_updates += not update.applied
        limit = self.config.train.max_bad_steps
        if progress.bad_steps >= limit:
            raise TrainingError(f"step {progress.step}: the gradients were not finite for {limit} updates in a row "
                                f"(train.max_bad_steps); lower train.lr or check the data; "
                                f"{self.folder.checkpoint('last')} keeps the last good state")

    def _report_skips(self, batch: Batch, window: LogWindow) -> None:
        """Count examples that failed to load; say why the first time."""
        if batch.skipped and not self.skips_reported:
            self.console.say(f"skipped (data.skip_bad): {batch.skip_reasons[0]}; later skips are counted as "
                             f"skipped_items in {self.folder.metrics.path.name}")
            self.skips_reported = True
        window.skipped_items += batch.skipped

    def _log(self, window: LogWindow, bar: tqdm) -> None:
        record = {"step": self.progress.step, "epoch": self.progress.epoch, "split": "train",
                  "lr": self.scheduler.get_last_lr()[0], **window.summary(self.processes, self.device)}
        if self.processes.is_main:
            self.folder.metrics.append(record)
        if self.tensorboard is not None:
            self.tensorboard.training(record)
        bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{record['tokens_per_s']:.0f}")

    def _shards(self) -> tuple[list[list[int]], list[bool]]:
        """This process's part of each remaining batch of the epoch, and whether it counts."""
        parts = [self.processes.shard(b) for b in self._epoch_batches()[self.progress.batch_in_epoch:]]
        return [part for part, _ in parts], [counts for _, counts in parts]

    def fit(self) -> bool:
        """Train until max_steps / max_epochs / early stopping. False when stopped by Ctrl-C or SIGTERM."""
        train, processes = self.config.train, self.processes
        steps_per_epoch = len(self._epoch_batches())
        total = train.max_steps or train.max_epochs * steps_per_epoch
        bar = tqdm(total=total, initial=min(total, self.progress.step),
                   disable=not (shows_progress_bar(train.progress) and processes.is_main), unit="step",
                   dynamic_ncols=True, desc="training")
        if processes.is_main:
            self.tensorboard = open_tensorboard(self.folder.tensorboard, wanted=train.tensorboard,
                                          resumed_step=self.progress.step, say=self.console.say)
        window = LogWindow()
        epoch_batches = EpochBatches()
        loader = make_loader(self.tensors, epoch_batches, num_workers=self.config.data.num_workers,
                             pin_memory=self.device.type == "cuda",
                             seed=(self.config.seed * 1000 + self.progress.epoch) * processes.world_size
                             + processes.rank)
        if self.progress.step == 0:
            self.save_last()  # resumable before any work
        stopped = False
        with StopRequest(repeat_interrupts=not processes.distributed) as stop:
            while not self._done() and not stopped:
                epoch_batches.batches, counting = self._shards()
                epoch_batches.epoch = self.progress.epoch
                asked = time.perf_counter()
                for batch, counts in zip(loader, counting):
                    waited = time.perf_counter() - asked
                    update = self._update(batch, counts, stop)
                    self._count(update, window)
                    stopped = update.stop
                    self._report_skips(batch, window)
                    if counts:
                        window.add(update.loss_sum, update.tokens, batch, waited)
                    bar.update(1)
                    if self.progress.step % train.log_every == 0:
                        self._log(window, bar)
                        window = LogWindow()
                    paused = time.perf_counter()
                    validated = self.progress.step % train.validate_every == 0
                    if validated:
                        self._validation()
                    finishing = self._done() or stopped  # the last save follows the loop
                    every = bool(train.save_every) and self.progress.step % train.save_every == 0
                    if not finishing and (validated or update.save or every):
                        self.save_last()
                    window.start += time.perf_counter() - paused  # throughput counts training only
                    if finishing:
                        break
                    asked = time.perf_counter()
                else:
                    self.progress.epoch += 1
                    self.progress.batch_in_epoch = 0
            bar.close()
            interrupted = stopped and not self._done()
            if not interrupted and self.progress.step % train.validate_every != 0:
                self._validation()
            self.save_last()
        if self.tensorboard is not None:
            self.tensorboard.close()
        self.console.say(self._why_stopped(interrupted))
        return not interrupted

    def _why_stopped(self, interrupted: bool) -> str:
        train, progress = self.config.train, self.progress
        where = f"stopped at step {progress.step} (epoch {progress.epoch}): "
        if interrupted:
            return where + "interrupted (Ctrl-C or SIGTERM); --resume continues"
        if progress.early_stopped:
            return where + (f"early stopping: {progress.stale_validations} validations without a better "
                            f"{self.best_metric} (train.early_stopping_patience)")
        if train.max_steps is not None and progress.step >= train.max_steps:
            return where + f"train.max_steps ({train.max_steps}) reached"
        return where + f"train.max_epochs ({train.max_epochs}) reached" + (
            f" before train.max_steps ({train.max_steps})" if train.max_steps else "")
