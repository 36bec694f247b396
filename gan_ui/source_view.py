"""'Show the code': the real source of what a page explains, read with `inspect.getsource` from the
gan_core objects that run, so the math a student reads beside a chart is the code that drew it, never
a third copy typed into a page.

`CODE` names the pieces a page or lesson can show; `show_code(keys)` draws each in an expander.
"""

from __future__ import annotations

import inspect
import textwrap
from functools import lru_cache

import streamlit as st

from gan_core import losses, models, training

# key -> (title, the object whose source is shown, what to look for in it)
CODE = {
    "value": (
        "The losses: d_loss_fn and g_loss_fn",
        (losses.d_loss_fn, losses.g_loss_fn),
        "Both look the loss up in LOSS_INFO and call its two functions, shown next.",
    ),
    "bce": (
        "D's loss for the minimax and non-saturating games",
        (losses._bce_d,),
        "−E[log D(x)] − E[log(1 − D(G(z)))], written as binary cross-entropy on D's logits.",
    ),
    "g_losses": (
        "G's two losses: saturating and non-saturating",
        (losses._minimax_g, losses._non_saturating_g),
        "log(1 − sigmoid(s)) = −softplus(s); −log sigmoid(s) = softplus(−s): the same game, "
        "different gradients when D wins.",
    ),
    "other_losses": (
        "Least-squares, hinge and Wasserstein losses",
        (
            losses._least_squares_d,
            losses._least_squares_g,
            losses._hinge_d,
            losses._wasserstein_d,
            losses._score_g,
            losses.gradient_penalty,
        ),
        "",
    ),
    "step": (
        "One training step: (1) update D, (2) update G",
        (training.Trainer.train_step,),
        "The whole game in one function; the extras (augmentation, penalty, InfoGAN, EMA) are the "
        "hooks it calls by name.",
    ),
    "mlp": ("The MLP generator and discriminator", (models.MLPGenerator, models.MLPDiscriminator), ""),
    "dcgan": ("The DCGAN generator and discriminator", (models.DCGANGenerator, models.DCGANDiscriminator), ""),
    "ema": ("The EMA of G's weights", (training.Trainer._update_ema,), ""),
}


@lru_cache(maxsize=None)
def source_of(key: str) -> str:
    """The source text of CODE[key]'s objects, as it is in the installed gan_core (dedented)."""
    _, objects, _ = CODE[key]
    return "\n\n".join(textwrap.dedent(inspect.getsource(obj)) for obj in objects)


def show_code(keys, expanded: bool = False) -> None:
    """One expander per key with the real source of that piece of gan_core."""
    for key in keys:
        title, _, note = CODE[key]
        with st.expander(f"Show the code: {title}", expanded=expanded, icon=":material/code:"):
            if note:
                st.caption(note)
            st.code(source_of(key), language="python", line_numbers=False)
