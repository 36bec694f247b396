"""The About page: the game, the two losses, and how to read the Train charts. Short on purpose."""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import N_, _

from .settings import D_COLOR, G_COLOR, QUALITY_EVERY, QUALITY_SAMPLES
from .source_view import show_code

G = f'<span style="color:{G_COLOR};font-weight:600">G</span>'
D = f'<span style="color:{D_COLOR};font-weight:600">D</span>'


CHART_NOTES = (  # one bullet each under "Reading the Train charts"
    N_(
        "**Losses**: healthy runs wobble around the dashed equilibrium lines. D's loss diving to 0 while "
        "G's climbs means D has won and G gets no useful signal."
    ),
    N_(
        "**What D thinks**: D(x) on real digits and D(G(z)) on fakes start far apart and move toward 0.5 as G improves."
    ),
    N_(
        "**Gradient norms** (log scale): a line sinking toward 0 means that network stopped learning; "
        "one shooting up warns of divergence."
    ),
    N_(
        "**Sample grid**: G on the *same* 64 noise vectors each time, so you watch each digit take shape. "
        "Many look-alike cells = *mode collapse* (try the `collapse` preset)."
    ),
    N_(
        "**Sample quality** (MNIST runs): every {every} steps a digit classifier reads {samples} of G's digits. "
        "*Classes present* below 10 and a rising *class KL* mean mode collapse; the *Fréchet distance* "
        "falls toward its dashed floor, what real digits score. The floor only means something when the "
        "real digits are drawn like G's training digits: against digits of one group of writers, even "
        "real digits of the whole mix score 3x the floor."
    ),
    N_(
        "**Timeline**: when a run is paused or over, scrub its snapshots and pin one cell. Shipped "
        "models have one too: Explore → *Training timeline*."
    ),
)


def render() -> None:
    st.title(_("How it works"))
    st.caption(_("A generative adversarial network (GAN) is two networks playing a game."))
    st.markdown(
        _(
            "The **generator** {G} turns random noise z into an image. The **discriminator** {D} looks at an "
            "image and outputs D(x), its probability that the image is a real digit. {D} is trained to tell real "
            "from fake, {G} to fool {D}. Goodfellow et al. (2014) wrote the game as one value function that "
            "{D} maximises and {G} minimises:"
        ).format(G=G, D=D),
        unsafe_allow_html=True,
    )
    st.latex(
        r"\min_G \max_D \; V(D,G) = \mathbb{E}_{x\sim p_\text{data}}\big[\log D(x)\big]"
        r" + \mathbb{E}_{z\sim \mathcal{N}(0,I)}\big[\log\big(1-D(G(z))\big)\big]"
    )

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(_("Equilibrium"))
        st.markdown(_("For a fixed G, the best D compares the two densities at each image x:"))
        st.latex(r"D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}")
        st.markdown(
            _(
                "Put D* into V and the game becomes a distance between the two distributions, the Jensen-Shannon "
                "divergence: G is best exactly when p_g = p_data, where JS = 0 and D* = ½."
            )
        )
        st.latex(r"V(D^*, G) = -\ln 4 + 2\,\mathrm{JS}\big(p_\text{data} \,\|\, p_g\big)")
        st.markdown(
            _("When G draws exactly like the data, D can only guess: D(x) = ½ everywhere, and D's loss −V settles at")
        )
        st.latex(r"L_D = -\log\tfrac12 - \log\tfrac12 = \ln 4 \approx 1.386")
        st.subheader(_("The non-saturating loss"))
        st.markdown(
            _(
                "Early on D spots every fake, D(G(z)) ≈ 0, and the gradient of log(1 − D(G(z))) vanishes: "
                "G learns nothing. So G maximises log D(G(z)) instead: the same goal, but strong "
                "gradients while G is losing. Its equilibrium value is ln 2:"
            )
        )
        st.latex(r"L_G = -\,\mathbb{E}_{z}\big[\log D(G(z))\big] \;\to\; \ln 2 \approx 0.693")
        show_code(["value", "bce", "g_losses"])
        st.caption(
            _(
                "The other losses on the Train page (least-squares, hinge, WGAN-GP) change what D outputs; "
                "their charts have no fixed equilibrium line. All three drop the sigmoid: D gives a score, positive or "
                "negative, not a probability (WGAN-GP calls such a D a critic)."
            )
        )
        st.subheader(_("Categories without labels: InfoGAN"))
        st.markdown(
            _(
                "The `infogan` preset gives G a code c, one of 10 values, beside z, but never says what c means. "
                "A small head Q on D must guess c from the picture, and G and Q both minimise Q's error, "
                "which maximises a lower bound on the mutual information between c and G's picture "
                "(Chen et al. 2016):"
            )
        )
        st.latex(r"\min_{G,Q}\max_D\; V(D,G) - \lambda\, \mathbb{E}_{z,c}\big[\log Q(c \mid G(z,c))\big]")
        st.caption(
            _(
                "The easiest way to make 10 codes readable is to give each its own kind of digit, so the codes "
                "mostly become the digits, in an order of their own. The green *code loss* on the Train chart "
                "starts at ln 10 ≈ 2.3 and falls as the code becomes readable; the quality panel's *code purity* "
                "says how often a code's digits are the same digit."
            )
        )
    with right:
        st.subheader(_("Reading the Train charts"))
        st.markdown(
            _(
                "Colours never change: {G} is blue and {D} orange everywhere (a pair colour-blind readers can tell "
                "apart)."
            ).format(G=G, D=D)
            + "\n\n- "
            + "\n- ".join(_(item).format(every=QUALITY_EVERY, samples=QUALITY_SAMPLES) for item in CHART_NOTES),
            unsafe_allow_html=True,
        )
        st.subheader(_("Exploring"))
        st.markdown(
            _(
                "Each slider is one coordinate of z ~ N(0, 1), so the sliders span ±3σ, which holds 99.7 % (nearly "
                "all) of G's training noise. **slerp** interpolation stays on the shell where almost all of "
                "that noise lives; a straight line (**lerp**) cuts through its little-visited middle."
            )
        )

    # Full width: the source keeps its own line breaks (up to 120 characters), which a half column would cut.
    st.subheader(_("The code that trains"))
    st.markdown(
        _(
            "Every formula on this page is computed by the code below: the very functions the Train "
            "page runs, read from the installed package, not a copy."
        )
    )
    show_code(["step", "dcgan", "mlp", "other_losses"])
