"""The transformer's encoder: genoseq's written-out layers against ``nn.TransformerEncoder`` itself.

``_TransformerTrunk._encode`` runs the encoder's pre-LN layers over their own weights with
``F.scaled_dot_product_attention``; the baseline, timed in the same run on the same weights and
inputs, is the ``nn.TransformerEncoder`` call it replaced, which in eval mode takes torch's "fast
path" (``torch._transformer_encoder_layer_fwd``, a masked softmax over materialised attention
weights on CPU). Both are timed in inference mode (what ``Predictor`` runs) on random token ids with
the default transformer ``genoseq train`` builds, for 200- and 1000-bp inputs, with the tokenizer's
padding mask; the largest difference of the two outputs is printed beside the ratio.

Run ``python benchmarks/bench_transformer_attention.py [--threads N] [--batch 64] [--repeats 5]``
(a few seconds on two CPU cores).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _timing import best_of

from genoseq.data.encoding import encode_for_model
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.train.run import SEQUENCE_MODEL_DEFAULTS


def bench(length: int, batch: int, repeats: int, device: str) -> None:
    torch.manual_seed(0)
    config = default_config(
        "transformer",
        input_length=length,
        n_outputs=1,
        task="binary",
        **SEQUENCE_MODEL_DEFAULTS["transformer"],
    )
    model = build_model("transformer", config).eval().to(device)
    trunk = model.trunk
    rng = np.random.default_rng(0)
    seqs = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, (batch, length))]
    encoded = encode_for_model(dict(encoding_spec("transformer", config)), seqs, input_length=length)
    ids = torch.from_numpy(encoded["x"]).to(device)
    mask = torch.from_numpy(encoded["mask"]).to(device)
    with torch.inference_mode():
        h = trunk.embed(ids) + trunk.positions[: ids.shape[1]]
        ours = trunk._encode(h, mask)
        theirs = trunk.encoder(h, src_key_padding_mask=~mask)
        diff = (ours - theirs)[mask].abs().max().item()

        def sync() -> None:
            if device == "cuda":
                torch.cuda.synchronize()

        t_ours = best_of(lambda: (trunk._encode(h, mask), sync()), repeats, warmup=True)
        t_theirs = best_of(
            lambda: (trunk.encoder(h, src_key_padding_mask=~mask), sync()), repeats, warmup=True
        )
    print(
        f"{length:5d} bp, {ids.shape[1]} tokens, batch {batch}, {device}: written-out {batch / t_ours:9,.0f} seqs/s, "
        f"nn.TransformerEncoder {batch / t_theirs:9,.0f} seqs/s = {t_theirs / t_ours:.2f} x; "
        f"max |difference| {diff:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    parser.add_argument("--batch", type=int, default=64, help="sequences per call (default 64)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls; the best is kept (default 5)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA GPU here")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for length in (200, 1000):
        bench(length, args.batch, args.repeats, args.device)


if __name__ == "__main__":
    main()
