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
from gan_core.i18n import N_, _

# key -> (title, the objects whose source is shown, what to look for in it); texts translated where shown
CODE = {
    "value": (
        N_("The losses: d_loss_fn and g_loss_fn"),
        (losses.d_loss_fn, losses.g_loss_fn),
        N_("Both look the loss up in LOSS_INFO and call its two functions, shown next."),
    ),
    "bce": (
        N_("D's loss for the minimax and non-saturating games"),
        (losses._bce_d,),
        N_("−E[log D(x)] − E[log(1 − D(G(z)))], written as binary cross-entropy on D's logits."),
    ),
    "g_losses": (
        N_("G's two losses: saturating and non-saturating"),
        (losses._minimax_g, losses._non_saturating_g),
        N_(
            "log(1 − sigmoid(s)) = −softplus(s); −log sigmoid(s) = softplus(−s): the same game, "
            "different gradients when D wins."
        ),
    ),
    "other_losses": (
        N_("Least-squares, hinge and Wasserstein losses"),
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
        N_("One training step: (1) update D, (2) update G"),
        (training.Trainer.step_stats,),
        N_(
            "The whole game in one function; the extras (augmentation, penalty, InfoGAN, EMA) are the "
            "hooks it calls by name."
        ),
    ),
    "mlp": (N_("The MLP generator and discriminator"), (models.MLPGenerator, models.MLPDiscriminator), ""),
    "dcgan": (N_("The DCGAN generator and discriminator"), (models.DCGANGenerator, models.DCGANDiscriminator), ""),
    "ema": (N_("The EMA of G's weights"), (training.Trainer._update_ema,), ""),
}


@lru_cache(maxsize=None)
def source_of(key: str) -> str:
    """The source text of CODE[key]'s objects, as it is in the installed gan_core (dedented)."""
    objects = CODE[key][1]
    return "\n\n".join(textwrap.dedent(inspect.getsource(obj)) for obj in objects)


def show_code(keys, expanded: bool = False) -> None:
    """One expander per key with the real source of that piece of gan_core."""
    for key in keys:
        title, _objects, note = CODE[key]
        with st.expander(_("Show the code: {title}").format(title=_(title)), expanded=expanded, icon=":material/code:"):
            if note:
                st.caption(_(note))
            st.code(source_of(key), language="python", line_numbers=False)
