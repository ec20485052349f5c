"""A run: one object that owns a run's lifecycle, from a config file or from a trained run folder.

``Run.from_config`` loads the plugins, resolves the config (every option complete, relative paths
absolute) and builds each stream's source pipeline and the target field; :meth:`Run.train` reads
the data, fits the pipelines (or restores them on ``--resume``), builds the model and trains it
into the run folder. ``Run.from_folder`` rebuilds a trained run from its checkpoint.
:meth:`Run.evaluate` and :meth:`Run.predict` decode and score. The command line, the benchmarks
(and the server) call this class and only parse and print.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch

from multis2s.assembly import (Parts, build_dataset, build_model, build_search, build_target, check_shapes,
                               resolve)
from multis2s.checkpoint import Checkpoint
from multis2s.config import ComponentSpec, Config, config_to_dict, flatten, load_config, parse_config
from multis2s.data.carve import carve
from multis2s.data.example import Dataset, Example
from multis2s.data.loader import Batch, ExampleTensors, make_loader
from multis2s.data.streams import SourceStreams
from multis2s.data.target import TargetField
from multis2s.device import resolve_device
from multis2s.distributed import processes_from_environment
from multis2s.errors import CheckpointError, ConfigError, DataError
from multis2s.evaluation import Decoded, Results, check_metrics, decode, results_of
from multis2s.files import write_text_atomically
from multis2s.initial_weights import read_initial_weights
from multis2s.model.seq2seq import Seq2Seq
from multis2s.options import shown
from multis2s.plugins import load_registry
from multis2s.registry import Registry
from multis2s.run_folder import RunFolder
from multis2s.search.hypothesis import MaxLength, Search
from multis2s.train.schedule import check_schedule
from multis2s.train.trainer import Trainer

RESUMABLE_CHANGES = frozenset({"train.max_steps", "train.max_epochs", "train.early_stopping_patience",
                               "train.progress", "train.tensorboard", "train.compile", "train.save_every",
                               "train.save_every_minutes", "train.max_bad_steps", "threads", "device",
                               "data.num_workers"})
"""Config keys that ``--resume`` accepts changed without ``--force`` (how long, and where, to train)."""


def differing_keys(saved: dict, given: dict) -> list[str]:
    """The dotted keys whose values differ between two config dicts, with both values, cut short."""
    old, new = flatten(saved), flatten(given)
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k) and k not in RESUMABLE_CHANGES)
    return [f"{k} (saved {shown(old.get(k))}, given {shown(new.get(k))})" for k in keys]


class Run:
    """A config's parts and where they are trained: registry, source streams, target field, model."""

    def __init__(self, config: Config, registry: Registry, streams: SourceStreams, target: TargetField, *,
                 origin: str, folder: RunFolder, model: Seq2Seq | None = None) -> None:
        self.config, self.registry, self.streams, self.target = config, registry, streams, target
        self.origin, self.folder, self.model = origin, folder, model
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        self.is_main = True
        """False in the ``torchrun`` processes other than rank 0 after training (they print nothing)."""
        self._dataset: Dataset | None = None
        self._carved: dict[str, list[Example]] | None = None

    @classmethod
    def from_config(cls, path: Path, overrides: list[str] = (), run_dir: Path | None = None) -> "Run":
        """A run of the config at ``path`` (with ``key.path=value`` overrides), to train into
        ``run_dir`` (default ``runs/<config name>``)."""
        origin = str(path)
        config = load_config(path, overrides)
        check_schedule(config.train, origin)
        registry = load_registry(config.plugins)
        check_metrics(registry, list(config.eval.metrics), origin)
        config, streams = resolve(config, registry, origin)
        target = build_target(config, registry, origin, streams)
        return cls(config, registry, streams, target, origin=origin,
                   folder=RunFolder(run_dir or Path("runs") / Path(path).stem))

    @classmethod
    def from_folder(cls, run_dir: Path, checkpoint: str = "best", *, trust_plugins: bool = False
                    ) -> "Run":
        """The trained run in ``run_dir``, with the weights of its ``checkpoint`` (see
        :meth:`RunFolder.trained_checkpoint`; ``best`` falls back to ``last``).

        A checkpoint's config may name ``plugins:`` modules, and importing a module runs its code: they
        are imported only with ``trust_plugins`` (the CLI's ``--trust-plugins``, or a run just trained
        from the user's own config)."""
        folder = RunFolder(run_dir)
        path = folder.trained_checkpoint(checkpoint)
        saved = Checkpoint.load(path)
        origin = str(folder.config_file)
        config = parse_config(saved.config, origin)
        if config.plugins and not trust_plugins:
            raise ConfigError(f"{path}: its config imports the plugin module(s) {shown(config.plugins)}, which "
                              "would run their code; pass --trust-plugins if you trust this run folder")
        registry = load_registry(config.plugins)
        config, streams = resolve(config, registry, origin)
        streams.load_state(saved.sources)
        target = build_target(config, registry, origin, streams)
        target.load_state(saved.target)
        run = cls(config, registry, streams, target, origin=origin, folder=folder)
        model = build_model(config, registry, origin, streams, target, training=False)
        try:
            model.load_state_dict(saved.model)
        except RuntimeError as exc:
            raise CheckpointError(f"{path}: does not match its config's model ({str(exc).splitlines()[0]})") from None
        run.model = model.to(run.device).eval()
        return run

    @property
    def dataset(self) -> Dataset:
        """The run's dataset, built on first use."""
        if self._dataset is None:
            self._dataset = build_dataset(self.config, self.registry, self.origin)
        return self._dataset

    def examples(self, split: str) -> list[Example]:
        """The examples of ``split``; ``data.carve`` takes dev and test out of the training split."""
        settings = self.config.data.carve
        carved = {name for name in ("dev", "test") if getattr(settings, name) is not None}
        if carved and (split in carved or split == "train"):
            if self._carved is None:
                self._carved = carve(self.dataset.split("train"), dev=settings.dev, test=settings.test,
                                     seed=settings.seed)
            examples = self._carved[split]
        else:
            examples = self.dataset.split(split)
        if not examples:
            raise DataError(f"split {split!r} has no examples")
        return examples

    def read(self, path: Path) -> list[Example]:
        """Examples from a user's data file in the dataset's format."""
        examples = self.dataset.read(path)
        if not examples:
            raise DataError(f"{path}: no examples to evaluate")
        return examples

    def _parts(self) -> Parts:
        return Parts(self.config, self.registry, self.streams, self.target, self.model)

    def _check_resume(self, saved: Checkpoint, force: bool) -> None:
        """Refuse a resume whose config differs from the saved one. The saved config is read with
        this version's defaults where it can be, so a key added since it was written is not a change."""
        try:
            written = config_to_dict(parse_config(saved.config, str(self.folder.checkpoint("last"))))
        except ConfigError:  # a key this version no longer knows: compare as written
            written = saved.config
        changed = differing_keys(written, config_to_dict(self.config))
        if changed and not force:
            raise ConfigError(f"{self.folder.path}: --resume with a config that differs from the saved run in "
                              f"{'; '.join(changed)}; pass --force to resume with it anyway")

    def train(self, *, resume: bool = False, force: bool = False) -> bool:
        """Train into the run folder (continuing its ``last.pt`` with ``resume``); False when Ctrl-C or
        SIGTERM stopped it. Under ``torchrun`` every process calls this; rank 0 writes the folder.
        Nothing in the folder changes before the run is accepted."""
        processes = processes_from_environment(self.device)
        self.device = processes.device(self.device)
        try:
            finished = self._train(processes, resume=resume, force=force)
            processes.wait_for_all()  # a process that tore the group down while another still used it aborted
            return finished
        finally:
            processes.close()

    def _probe(self, train: list[Example]) -> Batch:
        """The first batch of two training examples that load (with ``data.skip_bad``, bad ones are passed over)."""
        tensors = ExampleTensors(train, self.streams, self.target, train=False, skip_bad=self.config.data.skip_bad)
        pairs = [list(range(start, min(start + 2, len(train)))) for start in range(0, len(train), 2)]
        for batch in make_loader(tensors, pairs, num_workers=0, pin_memory=False):
            if not batch.empty:
                return batch
        raise DataError("no training example could be loaded (each was skipped as bad)")

    def _train(self, processes, *, resume: bool, force: bool) -> bool:
        folder, config, origin = self.folder, self.config, self.origin
        if not resume and folder.has_checkpoint():
            raise ConfigError(f"{folder.path}: already holds a trained run; pass --resume to continue it or choose "
                              "another folder with -o")
        saved = Checkpoint.load(folder.checkpoint("last")) if resume else None
        if saved is not None:
            self._check_resume(saved, force)
        train, dev = self.examples("train"), self.examples("dev")
        initial = None if saved is not None else read_initial_weights(config.model.init, self.streams.names)
        if saved is not None:
            self.streams.load_state(saved.sources)
            self.target.load_state(saved.target)
        else:  # what model.init borrows is loaded, not learned again
            borrowed = {} if initial is None else initial.sources
            self.streams.fit(train, skip=borrowed)
            for name, state in borrowed.items():
                self.streams.pipelines[name].load_state(state)
            if initial is not None and initial.target is not None:
                self.target.load_state(initial.target)
            else:
                self.target.fit([e.target for e in train], min_freq=config.data.target.min_freq,
                                max_size=config.data.target.max_vocab)
        random.seed(config.seed)
        torch.manual_seed(config.seed)
        self.model = build_model(config, self.registry, origin, self.streams, self.target).to(self.device)
        initialised = [] if initial is None else initial.load_into(self.model)
        check_shapes(self.model, self._probe(train).to(self.device), config, origin)
        processes.wait_for_all()  # every process has checked the folder before rank 0 writes to it
        if processes.is_main:
            folder.path.mkdir(parents=True, exist_ok=True)
            folder.remove_temporaries()
            folder.write_config(config_to_dict(config))
            folder.metrics.start(resume_step=None if saved is None else saved.progress["step"])
            if saved is None:
                write_text_atomically(folder.log_file, "")
        trainer = Trainer(self._parts(), train=train, dev=dev, folder=folder, device=self.device,
                          processes=processes)
        for line in initialised:
            trainer.console.say(f"initialised {line}")
        if saved is not None:
            try:
                trainer.restore(saved)
            except (RuntimeError, ValueError) as exc:
                raise CheckpointError(f"{folder.checkpoint('last')}: does not match the config's model "
                                      f"({str(exc).splitlines()[0]})") from None
        finished = trainer.fit()
        self.is_main = processes.is_main
        return finished

    def search(self, *, beam: int | None = None, n_best: int = 1) -> Search:
        """The config's search method; ``beam`` (1 = greedy) and ``n_best`` override it as the CLI's
        ``--beam`` and ``--n-best`` do."""
        spec = self.config.eval.search
        if beam is not None and beam < 1:
            raise ConfigError(f"--beam: beam must be >= 1, got {beam}")
        if n_best < 1:
            raise ConfigError(f"--n-best: must be >= 1, got {n_best}")
        if beam is not None or n_best != 1:
            options = dict(spec.options) if spec.type == "beam" else {}
            size = max(beam if beam is not None else options.get("beam", 1), n_best)
            spec = (ComponentSpec("greedy", {}, "--beam") if size == 1 else
                    ComponentSpec("beam", {**options, "beam": size, "n_best": n_best}, "--beam"))
        return build_search(self.config, self.registry, self.origin, spec)

    def _decode(self, examples: list[Example], search: Search | None, progress: bool) -> list[Decoded]:
        if self.model is None:
            raise CheckpointError(f"{self.folder.path}: the run has no trained model yet")
        settings = self.config.eval
        return decode(self.model, self.streams, self.target, examples, search=search or self.search(),
                      max_length=MaxLength(settings.max_length_ratio, settings.max_length_offset),
                      batch_size=settings.batch_size, device=self.device,
                      parallel_batches=settings.parallel_batches, progress=progress)

    def evaluate(self, examples: list[Example], *, split: str, search: Search | None = None, progress: bool = False,
                 errors: int = 0, samples: int = 0) -> Results:
        """Decode ``examples`` and score them with ``eval.metrics`` (see :func:`results_of`)."""
        settings = self.config.eval
        return results_of(self._decode(examples, search, progress), registry=self.registry,
                          metrics=list(settings.metrics), normalise=settings.normalise, split=split,
                          errors=errors, samples=samples)

    def predict(self, inputs: list[str | dict[str, str]], *, search: Search | None = None) -> list[Decoded]:
        """Decode inputs: a text or a file path per stream (``stream=item,…`` for several, or a
        mapping stream → item, as the server passes them)."""
        examples = []
        for number, text in enumerate(inputs, start=1):
            origin = f"input {number}"
            source = dict(text) if isinstance(text, dict) else self.streams.parse_input(text, origin)
            example = Example(source, "", origin)
            self._refuse_paths_for_text(example)
            examples.append(example)
        return self._decode(examples, search, progress=False)

    def _refuse_paths_for_text(self, example: Example) -> None:
        """A stream that reads text given the path of an existing file says so instead of decoding the path."""
        for name, item in self.streams.items(example).items():
            if getattr(self.streams.pipelines[name], "reads_files", True) or not _is_file(item):
                continue
            raise DataError(f"{example.origin}: {item} is a file, but stream {name!r} reads text itself: pass the "
                            f"text, or '-' to read lines from standard input (- < {item})")


def _is_file(item: object) -> bool:
    try:
        return isinstance(item, str) and Path(item).is_file()
    except (OSError, ValueError):
        return False
