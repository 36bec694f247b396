"""The later lessons (mode collapse, stabilisers, the latent space, conditional GANs), as data.

gan_ui/lessons.py gathers them; the module docstring there says how the texts were measured and translated.
"""

from __future__ import annotations

from gan_core.i18n import N_

from .lesson_model import Lesson, LessonRun

MORE: list[Lesson] = [
    Lesson(
        id="collapse",
        playground="pg-collapse",
        code=("mlp",),
        title=N_("Mode collapse"),
        idea=N_(
            "G is rewarded for fooling D, not for drawing *every* digit. If G finds a few images D currently "
            "accepts, it can map most of the noise to them: **mode collapse**. D then learns to reject those, "
            "G jumps to other ones, and the chase goes round. The class histogram of G's samples (what a "
            "digit classifier reads in them) makes it visible: a healthy G spreads over all ten digits like "
            "the data, a collapsed one piles onto a few."
        ),
        question=N_(
            "This preset lets G learn 10x faster than D, with Adam momentum 0.9 and an 8-d latent space. How many of "
            "the 10 digits will G's samples cover?"
        ),
        choices=(N_("All ten, like the data"), N_("A few digits only"), N_("None: the samples are noise")),
        correct=1,
        answer=N_(
            "**A few only.** In our 600-step run a digit classifier read most of G's samples, 84 %, as one "
            "digit (an 8), and only 2 of the 10 digits appeared at all; the shipped `collapse` model (1,500 steps) "
            "covers 3. "
            "The same MLP with balanced settings (preset `mlp`: equal learning rates, Adam β1 = 0.5, a 32-d z) "
            "covered 9 of 10 digits after 600 steps, its most common digit at 21 %. So what helped here is a D "
            "that keeps up with G and less momentum; other remedies worth trying are the stabilisers of "
            "lesson 6, and conditioning on the label (lesson 8), which takes the choice of digit away from G."
        ),
        look_for=N_(
            "- **Sample grid**: many cells that look alike.\n"
            "- **Sample quality**: the bars of the class histogram far from their ticks; *classes present* "
            "below 10; *class KL* high. The coach says *mode collapse* when one digit reaches 40 %.\n"
            "- Then run the balanced variant and compare the histograms in the table."
        ),
        runs=(
            LessonRun(N_("Run the collapse preset"), "collapse", {}, 600),
            LessonRun(N_("The same MLP, balanced (preset mlp)"), "mlp", {}, 600),
        ),
    ),
    Lesson(
        id="stabilisers",
        playground="pg-wgan-gp",
        code=("bce", "other_losses"),
        title=N_("Stabilisers, side by side"),
        idea=N_(
            "Three common fixes for an unstable game, each applied here to the *overpowered D* of lesson 4:\n\n"
            "- **One-sided label smoothing** (Salimans et al. 2016): D's target for real digits becomes 0.9, "
            "so D is never rewarded for total certainty.\n"
            "- **Spectral normalization** (Miyato et al. 2018): each weight matrix of D is divided by its largest "
            "singular value, so D cannot change its verdict abruptly (it is 1-Lipschitz); here with the "
            "hinge loss.\n"
            "- **WGAN-GP** (Gulrajani et al. 2017): D becomes a critic scoring realness, with no sigmoid (a "
            "score, not a probability); a gradient penalty keeps it 1-Lipschitz, and minus its loss estimates the "
            "Wasserstein distance between the real and fake distributions."
        ),
        math=(
            r"\text{label smoothing: } L_D = -\mathbb{E}_x\big[0.9\log D(x) + 0.1\log(1-D(x))\big] - "
            r"\mathbb{E}_z\big[\log(1-D(G(z)))\big]",
            r"\text{WGAN-GP: } L_D = \mathbb{E}_z[D(G(z))] - \mathbb{E}_x[D(x)] + "
            r"\lambda\,\mathbb{E}_{\hat x}\big[(\lVert\nabla_{\hat x} D(\hat x)\rVert_2 - 1)^2\big]",
        ),
        question=N_(
            "Against the 10x faster D, label smoothing sets D's target for real digits to 0.9 instead of 1. What "
            "will D(x) on real digits do?"
        ),
        choices=(
            N_("Climb to 1 as before: D ignores the target"),
            N_("Level off near 0.9"),
            N_("Drop to 0.5: D gives up"),
        ),
        correct=1,
        answer=N_(
            "**It levels off near 0.9**, the target it is trained toward: D is no longer rewarded for total "
            "certainty about real digits. In our 150-step run D(x) settled at 0.89 (0.998 without smoothing), "
            "but D(G(z)) stayed at 0.004 or below: D still rejected every fake. Run the variants one after "
            "the other and read "
            "the table under the runs: each run's D(x), D(G(z)), G's gradient and classes present. In our "
            "150-step runs the spectral-norm + hinge variant kept G's gradient at 11-24 where the plain "
            "overpowered D gave 60-160, but D still won by its own measure (hinge scores +1.6 on real digits and "
            "-1.6 on fakes, beyond the margin of ±1), and the samples after 150 steps were no better "
            "(classifier IS 1.8 against 2.2). "
            "The WGAN-GP critic, with the same 10x learning-rate ratio, did not run away in our 100-step run: "
            "the gap "
            "between its scores on real digits and on fakes (its estimate of the distance between the two) shrank "
            "from about 47 to about 24, and G's samples covered 9 of 10 digits, still rough (each WGAN-GP step is "
            "5 critic steps, so it is slow on a CPU). Stabilisers make training *steadier*; in a short run "
            "they do not make a 10x "
            "imbalance fair, and hinge and WGAN-GP scores are not probabilities, so compare their gradients "
            "and samples, not D's numbers."
        ),
        look_for=N_(
            "- **The comparison table** below the runs: one row per run of this lesson.\n"
            "- **Gradient norms**: is G's line close to D's or far below it?\n"
            "- **Sample grid** and **classes present** after the same number of steps."
        ),
        runs=(
            LessonRun(N_("No stabiliser (D 10x faster)"), "strong-d", {}, 300),
            LessonRun(N_("+ label smoothing 0.1"), "strong-d", {"label_smoothing": 0.1}, 300),
            LessonRun(N_("+ spectral norm, hinge loss"), "strong-d", {"loss": "hinge", "spectral_norm": True}, 300),
            LessonRun(N_("WGAN-GP (D 10x faster)"), "wgan-gp", {"lr_d": 1e-3}, 150),
        ),
    ),
    Lesson(
        id="latent",
        code=("dcgan",),
        title=N_("The latent space"),
        idea=N_(
            "G is a smooth function of z: nearby noise vectors give similar digits. So walking in a straight "
            "line (or along the sphere, slerp) from one z to another morphs one digit into another, and "
            "moving a single coordinate of z changes some property of the digit - sometimes readable (slant, "
            "thickness), often a mix. Each coordinate of z ~ N(0, 1), so a slider from −3 to 3 spans 99.7 %: "
            "nearly all that G saw in training."
        ),
        math=(
            r"\text{slerp}(z_0, z_1; t) = \frac{\sin((1-t)\omega)}{\sin\omega} z_0 + "
            r"\frac{\sin(t\omega)}{\sin\omega} z_1,\qquad \cos\omega = "
            r"\frac{z_0\cdot z_1}{\lVert z_0\rVert\,\lVert z_1\rVert}"
        ),
        question=N_(
            "Walk from one noise vector z₀ (drawing one digit) to another z₁ (drawing a different digit). What do "
            "the images in between look like?"
        ),
        choices=(
            N_("Random noise until the very end"),
            N_("A gradual morph, through shapes that look like digits most of the way"),
            N_("The first digit, then a sudden jump to the second"),
        ),
        correct=1,
        answer=N_(
            "**A gradual morph.** Because G is a continuous function, small steps in z make small changes "
            "in the image; most intermediate images still look like digits (sometimes like a third digit on "
            "the way). Where the morph passes through an odd, blurry shape, G is in a region of z it was "
            "rarely trained on. In Explore, *What does one dimension do?* shows the same smoothness along one axis."
        ),
        look_for=N_(
            "- The strip below: the two end digits and the images between them.\n"
            "- Open **Explore** for sliders per dimension, sweeps, and interpolation with a morph slider."
        ),
        extra="latent",
    ),
    Lesson(
        id="conditional",
        code=("dcgan",),
        title=N_("Conditional GANs and data augmentation"),
        idea=N_(
            "A **conditional GAN** gives G and D the label y too: G(z, y) must draw a digit D accepts *as a y*, "
            "so you can ask for a 7. That makes it tempting to use a cGAN as a data factory: train a classifier "
            "on a few real digits plus many generated ones. Does it help? The honest answer is *measure it*: "
            "fakes carry no information the GAN's own training data did not, and a blurry or mislabelled fake "
            "can hurt as easily as a clean one can help."
        ),
        math=(
            r"\min_G \max_D \; \mathbb{E}_{x,y}\big[\log D(x, y)\big] + \mathbb{E}_{z,y}\big[\log(1 - D(G(z, y), "
            r"y))\big]",
        ),
        question=N_(
            "A classifier trained on only 200 real digits. Adding 1,000 digits from the shipped conditional GAN "
            "(each labelled with the digit it was asked for) will..."
        ),
        choices=(
            N_("Raise its accuracy on real test digits a lot: 5 points or more"),
            N_("Raise it a little: about a point, more on some draws of the real digits than on others"),
            N_("Lower it: generated digits are worse than none"),
        ),
        correct=1,
        answer=N_(
            "**A little, in our measurement.** Three seeds, each with a different set of 200 real digits, the same "
            "classifier and the same number of training steps with and without 1,000 generated digits, tested on "
            "the same 1,000 held-out real digits: 91.5 % -> 93.6 %, 90.3 % -> 91.2 %, 93.0 % -> 93.1 % (mean "
            "91.6 % -> 92.6 %, +1.0 point, better on all 3 seeds). One point is close to the test set's own "
            "noise (one accuracy on 1,000 digits is uncertain by about ±0.9 points), so read it as a small help "
            "that varies with the draw, not a proof. The cGAN learned from 15,000 real digits, so its digits "
            "pass on some of that; with a weaker generator, or more real digits, the gain can vanish or turn "
            "negative. AUGMENT_RESULT"
        ),
        look_for=N_(
            "- The table: accuracy without and with generated digits, per seed, and the difference.\n"
            "- How consistent is the difference across seeds? One seed is an anecdote.\n"
            "- The `cdcgan` preset trains a conditional GAN yourself (slow on a CPU)."
        ),
        runs=(LessonRun(N_("Train a conditional DCGAN"), "cdcgan", {}, 300),),
        extra="augment",
    ),
]
