"""How strongly the CTC loss and the attention loss pull on a joint model's encoder.

    python bench/ctc_gradients.py RUN_DIR

RUN_DIR is a run trained with ``model.ctc_weight`` > 0. On its first 32 training utterances (no
augmentation), prints each loss per target token (as the trainer normalises both) and the norm of
its gradient over the encoder's parameters, for the trained weights and for freshly initialised
ones (every module's ``reset_parameters``), each loss alone, before any weighting.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from multis2s.data.loader import ExampleTensors, make_loader
from multis2s.data.vocabulary import PAD_ID
from multis2s.loss import sequence_loss
from multis2s.model.ctc import ctc_loss_sum
from multis2s.run import Run


def pulls(model, batch) -> dict[str, tuple[float, float]]:
    """loss → (loss per target token, norm of its gradient over the encoder's parameters), both
    losses from one forward pass (the same dropout masks)."""
    tokens = (batch.targets_out != PAD_ID).sum()
    prediction = model(batch.sources, batch.source_lengths, batch.targets_in)
    attention, _ = sequence_loss(prediction.log_probs, batch.targets_out, pad_id=PAD_ID, label_smoothing=0.0,
                                 vocab_size=prediction.log_probs.shape[-1])
    losses = {"attention": attention, "ctc": ctc_loss_sum(prediction.ctc, batch.targets_out)}
    encoder = [p for p in model.encoder.parameters() if p.requires_grad]
    figures = {}
    for name, loss in losses.items():
        grads = torch.autograd.grad(loss / tokens, encoder, retain_graph=True, allow_unused=True)
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads if g is not None]))
        figures[name] = (float(loss.detach() / tokens), float(norm))
    return figures


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    run = Run.from_folder(Path(sys.argv[1]))
    if run.model.ctc is None:
        sys.exit(f"{sys.argv[1]}: this run has no CTC head (model.ctc_weight is 0)")
    model = run.model.train()
    examples = run.examples("train")[:32]
    tensors = ExampleTensors(examples, run.streams, run.target, train=False, skip_bad=False)
    batch = next(iter(make_loader(tensors, [list(range(len(examples)))], num_workers=0, pin_memory=False)))
    print("| weights | loss | per target token | encoder gradient norm |\n|---|---|---|---|")
    for weights in ("trained", "initial"):
        if weights == "initial":
            for module in model.modules():
                if module is not model and hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        for name, (loss, norm) in pulls(model, batch).items():
            print(f"| {weights} | {name} | {loss:.3f} | {norm:.3f} |")


if __name__ == "__main__":
    main()
