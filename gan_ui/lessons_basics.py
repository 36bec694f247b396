"""The first four lessons (what a GAN is, reading the curves, saturation, instability), as data.

gan_ui/lessons.py gathers them; the module docstring there says how the texts were measured and translated.
"""

from __future__ import annotations

from gan_core.i18n import N_

from .lesson_model import VALUE_FN, Lesson, LessonRun

BASICS: list[Lesson] = [
    Lesson(
        id="what",
        playground="pg-what-d-sees",
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
        playground="pg-saturating",
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
]
