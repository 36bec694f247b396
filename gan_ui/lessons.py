"""The lessons of the Learn page, as data: the idea, a predict-then-run question, the run, what to look for.

Each lesson's run is a preset from gan_core.config.PRESETS plus a few overrides and a short step budget.
What the texts say a run shows was observed on short runs on a 2-core CPU (1 thread, the 5,000 offline
MNIST digits); tests/test_lessons.py re-measures each promised phenomenon on real digits.

No Streamlit here: gan_ui/learn.py draws these.

Languages: every text a student reads is marked N_() (extracted into the gettext catalogue, left English here);
`translated(lesson)` gives the lesson in the current language (gan_core.i18n), the math, ids, presets and
overrides untouched. learn.py draws `translated(lesson(id))`, never the raw English.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gan_core.i18n import N_, _


@dataclass(frozen=True)
class LessonRun:
    label: str  # what the run button / variant picker says
    preset: str  # a gan_core PRESETS name
    overrides: dict = field(default_factory=dict)
    steps: int = 300  # short: ~1-2 minutes on a busy CPU, seconds on a GPU


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    idea: str  # markdown, a few sentences
    math: tuple = ()  # LaTeX formulas shown after the idea (st.latex)
    question: str = ""  # the predict-then-run question
    choices: tuple = ()
    correct: int = 0  # index into choices
    answer: str = ""  # markdown: why, in terms of what the run shows
    look_for: str = ""  # markdown: where to look in the charts
    runs: tuple = ()  # LessonRun variants (the student picks one when there are several)
    extra: str = ""  # "latent" | "augment": a lesson-specific panel instead of/besides a run
    code: tuple = ()  # gan_ui.source_view.CODE keys: the real source behind the lesson's math


VALUE_FN = (
    r"\min_G \max_D \; V(D,G) = \mathbb{E}_{x\sim p_\text{data}}\big[\log D(x)\big]"
    r" + \mathbb{E}_{z\sim \mathcal{N}(0,I)}\big[\log\big(1-D(G(z))\big)\big]"
)

LESSONS: list[Lesson] = [
    Lesson(
        id="what",
        code=("step", "value"),
        title=N_("What a GAN is"),
        idea=N_(
            "Two networks play a game. The **generator G** turns random noise z into an image; the "
            "**discriminator D** looks at an image and says how likely it is to be a real digit. D is "
            "trained to tell real from fake, G to fool D. Neither ever sees a rule for what a digit "
            "looks like: G learns only from D's verdicts. Goodfellow et al. (2014) wrote the game as "
            "one value function that D maximises and G minimises:"
        ),
        math=(VALUE_FN,),
        question=N_(
            "G starts from random weights. After a few hundred steps of this game, what will the grid of G's samples "
            "show?"
        ),
        choices=(
            N_("Still pure noise: a few hundred steps are far too few"),
            N_("Blurry strokes and blobs with the rough shapes of digits"),
            N_("Crisp digits, indistinguishable from real ones"),
        ),
        correct=1,
        answer=N_(
            "**Rough digits within a few hundred steps.** The grey noise turns into strokes on a dark "
            "background, then into blotchy digits. In our 300-step run a digit classifier already read 9 of "
            "the 10 digits among G's samples, though with a classifier Inception Score of 4.0 where real "
            "digits score 9.6: recognisable, not yet clean. Clean digits take thousands of steps (the shipped "
            "`dcgan` trained for 5,000). G never saw a digit: everything it knows came through D."
        ),
        look_for=N_(
            "- **The sample grid** (right of the loss chart): the *same* 64 noise vectors at every step, so "
            "each cell is one digit growing out of noise.\n"
            "- **What D thinks**: D(x) on real digits starts far above D(G(z)) on fakes. D has the easy "
            "job at first.\n"
            "- **Sample quality**: *classes present* climbs as G starts drawing different digits."
        ),
        runs=(LessonRun(N_("Run the healthy DCGAN"), "dcgan", {}, 300),),
    ),
    Lesson(
        id="curves",
        code=("value", "bce"),
        title=N_("Reading the curves"),
        idea=N_(
            "If G drew exactly like the data, D could only guess: D(x) = ½ for every image. Put that into "
            "the losses and you get the **equilibrium lines** drawn dashed on the loss chart: D's loss is "
            "ln 4 and G's (non-saturating) loss is ln 2. A GAN's losses are not a score that should go to 0: "
            "each network's loss is measured against an opponent that keeps changing."
        ),
        math=(
            r"L_D = -\log\tfrac12 - \log\tfrac12 = \ln 4 \approx 1.386",
            r"L_G = -\,\mathbb{E}_{z}\big[\log D(G(z))\big] = -\log\tfrac12 = \ln 2 \approx 0.693",
        ),
        question=N_("In one run, G's loss falls steadily toward 0. What does that most likely mean?"),
        choices=(
            N_("G is getting better and better at drawing digits"),
            N_("D is fooled more often, which may or may not mean better digits"),
            N_("Training has converged"),
        ),
        correct=1,
        answer=N_(
            "**A falling G loss only says D is being fooled more often** - it says nothing about whether the "
            "digits look right. G's loss is −log D(G(z)): it falls when D(G(z)) rises, which happens when G "
            "improves *or* when D gets worse (or when G finds a few images D happens to like: mode "
            "collapse, lesson 5). In a healthy run the losses do not go to 0: they creep toward the dashed "
            "lines and wobble there while the samples improve. Judge a GAN by its samples and by sample-quality "
            "measures "
            "(the Fréchet distance falling toward its floor), never by G's loss alone."
        ),
        look_for=N_(
            "- **Losses**: D's loss starts far below ln 4 and G's far above ln 2 (D is ahead early); over a "
            "few hundred steps they creep toward their dashed lines without reaching them (in our 300-step "
            "run D's median loss rose from 0.31 to 0.47 and G's fell from 2.6 to 2.1). Neither goes to 0.\n"
            "- **What D thinks**: D(x) and D(G(z)) move toward the 0.5 line from both sides.\n"
            "- **Sample quality**: judge progress by the Fréchet distance and the classes present, not by "
            "the losses."
        ),
        runs=(LessonRun(N_("Run the healthy DCGAN"), "dcgan", {}, 400),),
    ),
    Lesson(
        id="saturating",
        code=("g_losses",),
        title=N_("Saturating vs non-saturating loss"),
        idea=N_(
            "In the value function G *minimises* log(1 − D(G(z))). Early on D rejects every fake: "
            "D(G(z)) ≈ 0, where log(1 − D) is flat, so its gradient almost vanishes and G learns almost "
            "nothing exactly when it most needs to. The **non-saturating** loss makes G *maximise* "
            "log D(G(z)) instead: the same fixed point, but steep where D(G(z)) ≈ 0. With D(G(z)) = "
            "sigmoid(s) for D's logit s:"
        ),
        math=(
            r"\text{saturating: } L_G = \mathbb{E}_z\big[\log(1 - D(G(z)))\big],\quad "
            r"\frac{\partial L_G}{\partial s} = -D(G(z)) \;\to\; 0 \text{ when } D(G(z)) \to 0",
            r"\text{non-saturating: } L_G = -\mathbb{E}_z\big[\log D(G(z))\big],\quad "
            r"\frac{\partial L_G}{\partial s} = D(G(z)) - 1 \;\to\; -1 \text{ when } D(G(z)) \to 0",
        ),
        question=N_(
            "Same network, same learning rates; only G's loss changes to the saturating one. What happens to G's "
            "gradient norm?"
        ),
        choices=(
            N_("About the same: it is the same game"),
            N_("Much smaller: G barely learns"),
            N_("Much larger: training explodes"),
        ),
        correct=1,
        answer=N_(
            "**Much smaller.** With the saturating loss the chain rule multiplies G's gradient by D(G(z)), "
            "which is tiny while D wins. In our 300-step runs with the same learning rates, G's gradient norm "
            "stayed between 0.06 and 0.3 with the saturating loss and between 20 and 50 with the non-saturating "
            "one: a hundred times smaller. D(G(z)) stayed near 0.003, and the samples stayed poor (5 of 10 digits "
            "present, classifier IS 1.1, against 10 of 10 and 3.7 with the non-saturating loss). This is why "
            "almost every GAN uses the non-saturating loss."
        ),
        look_for=N_(
            "- **Gradient norms** (log scale): G's blue line about two decades lower than in the "
            "non-saturating run. The coach says *G's gradient vanished* when it stays below 1.\n"
            "- **What D thinks**: D(G(z)) stuck near 0: D wins, and G's loss log(1 − D(G(z))) sits flat near 0.\n"
            "- Run both variants one after the other and compare the gradient-norm charts and the table."
        ),
        runs=(
            LessonRun(N_("Saturating (minimax) loss"), "saturating", {}, 300),
            LessonRun(N_("Non-saturating loss, same learning rates"), "saturating", {"loss": "non-saturating"}, 300),
        ),
    ),
    Lesson(
        id="unstable",
        code=("step",),
        title=N_("An overpowered D, and a learning rate too high"),
        idea=N_(
            "The game only teaches G while D is a fair opponent. If D learns much faster than G, it separates "
            "real from fake almost perfectly, and its verdict on every fake is the same \"fake\": it no longer "
            "tells G which way is *more* real. If *both* learn far too fast, every update overshoots: the game "
            "can swing back and forth (G fools D completely, then D rejects everything, then G fools it again), "
            "or one player can run away with it. A game can also *diverge*: a WGAN critic with nothing to keep "
            "it 1-Lipschitz is rewarded for ever larger scores, and they grow without limit. At worst the "
            "numbers overflow (NaN), which stops the run (G is rolled back to its last healthy snapshot)."
        ),
        question=N_("What will D(G(z)) do if D learns 10x faster than G (lr_D = 2e-3, lr_G = 2e-4)?"),
        choices=(
            N_("Rise toward 0.5 faster: a stronger teacher helps G"),
            N_("Sink toward 0 and stay there: D rejects nearly every fake"),
            N_("Nothing changes: the learning rates cancel out"),
        ),
        correct=1,
        answer=N_(
            "**It sinks toward 0.** In our 150-step run D(x) reached 0.99 and D(G(z)) 0.001 within the first "
            "40 steps, and both stayed there: D wins outright, its loss dives toward 0 and G's climbs to about "
            "8, far above ln 2. G's gradient is *not* small here (the non-saturating loss pushes hardest when D "
            "wins), but D's verdicts no longer point G anywhere useful, and the samples stay poor. With both "
            "learning rates 25x too high (5e-3) and Adam's momentum at 0.9, it went worse in our run: G's loss "
            "ran away (13 -> 19 in 150 steps), D(G(z)) stayed near 0 (below 0.05), and the samples piled onto a few "
            "digits "
            "(68 % were read as an 8, 6 of 10 digits present). The coach says *D is winning* for both.\n\n"
            "Two more runs show the other ways a game fails. **Swings** (the MLP GAN at learning rate 0.1, "
            "500x the usual, momentum 0.9): in the first 30-60 steps D(G(z)) swung between about 0 and 1 "
            "several times, each player overshooting the other (the coach said *the game oscillates* in 9 of "
            "10 seeds), and then D won for good. **No penalty** (WGAN-GP with its gradient penalty off): the critic's "
            "scores passed 1,000 within 100 steps and kept climbing (about 10,000 by step 600), where the "
            "same critic with its penalty stays at 10-40; the coach says *the game is diverging*. No NaN "
            "appeared in either: the losses here are computed from D's raw scores in a form that cannot "
            "overflow (softplus), so a real NaN needs far more extreme settings."
        ),
        look_for=N_(
            "- **What D thinks**: the orange D(x) line near 1, the blue D(G(z)) line near 0.\n"
            "- **Losses**: D's far below the ln 4 line, G's far above ln 2 and, with the too-high learning "
            "rates, still climbing.\n"
            "- **Sample quality**: few classes present with the too-high learning rates.\n"
            "- **Swings**: the blue D(G(z)) line jumping between 0 and 1 in the first 30-60 steps.\n"
            "- **No penalty**: D's scores (not probabilities here) climbing into the thousands."
        ),
        runs=(
            LessonRun(N_("D learns 10x faster"), "strong-d", {}, 300),
            LessonRun(N_("Learning rates far too high"), "high-lr", {}, 300),
            LessonRun(N_("Swings: learning rates 500x too high (MLP)"), "swings", {}, 150),
            LessonRun(N_("Diverging: WGAN without its penalty"), "no-penalty", {}, 100),
        ),
    ),
    Lesson(
        id="collapse",
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
        code=("bce", "other_losses"),
        title=N_("Stabilisers, side by side"),
        idea=N_(
            "Three common fixes for an unstable game, each applied here to the *overpowered D* of lesson 4:\n\n"
            "- **One-sided label smoothing** (Salimans et al. 2016): D's target for real digits becomes 0.9, "
            "so D is never rewarded for total certainty.\n"
            "- **Spectral normalization** (Miyato et al. 2018): each D weight is divided by its largest "
            "singular value, so D cannot change its verdict abruptly (it is 1-Lipschitz); here with the "
            "hinge loss.\n"
            "- **WGAN-GP** (Gulrajani et al. 2017): D becomes a critic scoring realness; a gradient penalty "
            "keeps it 1-Lipschitz, and its loss estimates a distance between the real and fake distributions."
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
            "rarely trained on. In Explore, *what does dimension k do?* shows the same smoothness along one axis."
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

LESSON_IDS = [lesson.id for lesson in LESSONS]
BY_ID = {lesson.id: lesson for lesson in LESSONS}


def number(lesson_id: str) -> int:
    """1-based lesson number."""
    return LESSON_IDS.index(lesson_id) + 1


def lesson(lesson_id: str) -> Lesson:
    return BY_ID[lesson_id]


def translated(item: Lesson) -> Lesson:
    """The same lesson with every text a student reads in the current language (gan_core.i18n.set_language).
    English (or a message without a translation) gives the text as written here."""
    return replace(
        item,
        title=_(item.title),
        idea=_(item.idea),
        question=_(item.question) if item.question else "",
        choices=tuple(_(c) for c in item.choices),
        answer=_(item.answer) if item.answer else "",
        look_for=_(item.look_for) if item.look_for else "",
        runs=tuple(replace(r, label=_(r.label)) for r in item.runs),
    )
