"""SpeechBrain's attention ASR recipe on multis2s' speech corpus (run by SpeechBrain's venv).

    bench/out/toolkits/speechbrain/bin/python bench/toolkits/speechbrain_asr.py MANIFESTS OUT
        [--threads 1] [--updates 1500] [--cpu-budget SECONDS] [--seed 1]

MANIFESTS holds ``train.json``, ``test.json`` and ``setup.json`` written by
``bench/speech_side_by_side.py`` (wav paths, word transcripts, and the multis2s config's
optimisation settings). The model is the one SpeechBrain's ``templates/speech_recognition``
builds, sized like ``configs/asr.yaml``'s: a CRDNN encoder (two CNN blocks of 32 channels, each
pooling frequency by 2, time max-pooled by 4, a BiLSTM of 2 layers) and an
``AttentionalRNNDecoder`` (LSTM, location-aware attention), word outputs. Training runs through
``sb.Brain.fit_batch``: Adam with the config's learning rate, warm-up and cosine schedule,
gradient norm clipped as the config does, SpecAugment-style drops, batches bucketed by duration
with multis2s' own ``bucketed_batches`` (so the repository must be on PYTHONPATH: the driver puts
it there). It stops after ``--updates`` updates or once this process has spent ``--cpu-budget``
CPU seconds in training, whichever comes first; then it decodes the test split
with ``S2SRNNBeamSearcher`` (the config's beam) and prints one JSON line: updates, training CPU
and wall seconds, utterances/s, parameters, test WER (jiwer).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from pathlib import Path

import jiwer
import soundfile
import speechbrain as sb
import torch
import torchaudio
from speechbrain.augment.freq_domain import SpectrogramDrop
from speechbrain.decoders.seq2seq import S2SRNNBeamSearcher
from speechbrain.lobes.features import Fbank
from speechbrain.lobes.models.CRDNN import CRDNN
from speechbrain.nnet.embedding import Embedding
from speechbrain.nnet.linear import Linear
from speechbrain.nnet.losses import nll_loss
from speechbrain.nnet.RNN import AttentionalRNNDecoder
from speechbrain.processing.features import InputNormalization

from multis2s.data.batching import bucketed_batches

PAD, BOS, EOS = 0, 1, 2
SAMPLE_RATE = 16000


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Utterances(torch.utils.data.Dataset):
    """(features-ready waveform at 16 kHz, token ids) per manifest entry."""

    def __init__(self, entries: list[dict], vocabulary: dict[str, int]) -> None:
        self.entries, self.vocabulary = entries, vocabulary

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> dict:
        entry = self.entries[index]
        # soundfile, not torchaudio.load: that needs torchcodec, which neither venv has
        samples, rate = soundfile.read(entry["wav"], dtype="float32", always_2d=True)
        waveform = torchaudio.functional.resample(torch.from_numpy(samples).mean(dim=1), rate, SAMPLE_RATE)
        tokens = [self.vocabulary.get(word, 3) for word in entry["words"].split()]
        return {"id": str(index), "sig": waveform, "tokens_bos": torch.tensor([BOS, *tokens]),
                "tokens_eos": torch.tensor([*tokens, EOS])}


class ASR(sb.Brain):
    def compute_forward(self, batch, stage):
        batch = batch.to(self.device)
        wavs, wav_lens = batch.sig
        features = self.modules.normalize(self.hparams.fbank(wavs), wav_lens)
        if stage == sb.Stage.TRAIN:
            features = self.hparams.time_drop(self.hparams.freq_drop(features))
        encoded = self.modules.encoder(features)
        if stage != sb.Stage.TRAIN:
            return encoded, wav_lens
        tokens_bos, _ = batch.tokens_bos
        decoded, _ = self.modules.decoder(self.modules.embedding(tokens_bos), encoded, wav_lens)
        return self.hparams.log_softmax(self.modules.output(decoded)), wav_lens

    def compute_objectives(self, predictions, batch, stage):
        log_probs, _ = predictions
        tokens_eos, token_lens = batch.tokens_eos
        return nll_loss(log_probs, tokens_eos, length=token_lens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--cpu-budget", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    setup = json.loads((args.manifests / "setup.json").read_text())
    train = json.loads((args.manifests / "train.json").read_text())
    test = json.loads((args.manifests / "test.json").read_text())
    words = sorted({word for entry in train for word in entry["words"].split()})
    vocabulary = {word: index for index, word in enumerate(words, start=4)}  # 0 pad, 1 bos, 2 eos, 3 unk
    size = len(vocabulary) + 4
    hidden, embedding_dim = setup["encoder_hidden"], setup["embedding_dim"]
    modules = {
        "normalize": InputNormalization(norm_type="sentence"),
        "encoder": CRDNN(input_shape=[None, None, 80], activation=torch.nn.LeakyReLU, dropout=0.1,
                         cnn_blocks=2, cnn_channels=[32, 32], cnn_kernelsize=(3, 3), inter_layer_pooling_size=[2, 2],
                         time_pooling=True, time_pooling_size=4, rnn_class=sb.nnet.RNN.LSTM,
                         rnn_layers=setup["encoder_layers"], rnn_neurons=hidden, rnn_bidirectional=True,
                         dnn_blocks=0, dnn_neurons=2 * hidden),
        "embedding": Embedding(num_embeddings=size, embedding_dim=embedding_dim),
        "decoder": AttentionalRNNDecoder(rnn_type="lstm", attn_type="location", hidden_size=setup["decoder_hidden"],
                                         attn_dim=setup["attention_dim"], num_layers=1, enc_dim=2 * hidden,
                                         input_size=embedding_dim, channels=10, kernel_size=100, re_init=True,
                                         dropout=0.1),
        "output": Linear(input_size=setup["decoder_hidden"], n_neurons=size),
    }
    hparams = {"fbank": Fbank(n_mels=80, sample_rate=SAMPLE_RATE),
               "freq_drop": SpectrogramDrop(drop_length_low=0, drop_length_high=27, drop_count_low=2,
                                            drop_count_high=2, dim=2),
               "time_drop": SpectrogramDrop(drop_length_low=0, drop_length_high=10, drop_count_low=2,
                                            drop_count_high=2, dim=1),
               "log_softmax": sb.nnet.activations.Softmax(apply_log=True)}
    peak, warmup, updates = setup["lr"], setup["warmup_steps"], args.updates
    brain = ASR(modules=modules, hparams=hparams,
                opt_class=lambda params: torch.optim.Adam(params, lr=peak),
                run_opts={"device": "cpu", "max_grad_norm": setup["clip_grad_norm"], "noprogressbar": True})
    brain.on_fit_start()
    parameters = sum(p.numel() for p in brain.modules.parameters())

    def schedule(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        return 0.5 * peak * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, updates - warmup))))

    dataset = Utterances(train, vocabulary)
    durations = [entry["duration"] for entry in train]
    collate = sb.dataio.batch.PaddedBatch
    step, epoch, utterances = 0, 0, 0
    started_cpu, started = cpu_seconds(), time.perf_counter()
    stopped_by = "updates"
    while step < updates:
        batches = bucketed_batches(durations, batch_size=setup["batch_size"], unit="examples",
                                   seed=args.seed * 1000 + epoch)
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches, collate_fn=collate)
        for batch in loader:
            for group in brain.optimizer.param_groups:
                group["lr"] = schedule(step)
            brain.fit_batch(batch)
            step += 1
            utterances += len(batch.id)
            if args.cpu_budget is not None and cpu_seconds() - started_cpu >= args.cpu_budget:
                stopped_by = "cpu budget"
                break
            if step >= updates:
                break
        if stopped_by != "updates":
            break
        epoch += 1
    train_cpu, train_wall = cpu_seconds() - started_cpu, time.perf_counter() - started

    brain.modules.eval()
    searcher = S2SRNNBeamSearcher(embedding=brain.modules.embedding, decoder=brain.modules.decoder,
                                  linear=brain.modules.output, bos_index=BOS, eos_index=EOS, min_decode_ratio=0.0,
                                  max_decode_ratio=1.0, beam_size=setup["beam"], eos_threshold=1.5,
                                  using_max_attn_shift=False, temperature=1.0)
    names = {index: word for word, index in vocabulary.items()}
    references, hypotheses = [], []
    decode_started = time.perf_counter()
    test_loader = torch.utils.data.DataLoader(Utterances(test, vocabulary), batch_size=64, collate_fn=collate)
    with torch.no_grad():
        for batch in test_loader:
            encoded, wav_lens = brain.compute_forward(batch, sb.Stage.TEST)
            hyps, *_ = searcher(encoded, wav_lens)
            hypotheses += [" ".join(names.get(int(t), "<unk>") for t in hyp if int(t) != EOS) for hyp in hyps]
        references += [entry["words"] for entry in test]
    result = {"toolkit": "speechbrain", "version": sb.__version__, "threads": args.threads, "updates": step,
              "stopped_by": stopped_by, "train_cpu_s": train_cpu, "train_wall_s": train_wall,
              "utterances_per_s": utterances / train_wall, "parameters": parameters,
              "test_wer": 100 * jiwer.wer(references, hypotheses),
              "decode_s": time.perf_counter() - decode_started}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hypotheses.txt").write_text("".join(h + "\n" for h in hypotheses))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
