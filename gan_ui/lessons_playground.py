"""The Playground's lessons, as data: the GAN game on the plane, predict-then-run, in the 2-D preset's settings.

Each is a PlaygroundLesson (gan_ui/lesson_model.py); gan_ui/playground_lesson.py draws it. What an answer says a
game shows was measured over seeds 0-4 by bench/toy2d_presets.py (BENCHMARKS.md, "2-D playground presets");
tests/test_playground_lessons.py replays each lesson's game and checks its answer. Texts are marked N_() and
translated by `translated_pg`.
"""

from __future__ import annotations

from dataclasses import replace

from gan_core.i18n import N_, _

from .lesson_model import PlaygroundLesson

PLAYGROUND_LESSONS: list[PlaygroundLesson] = [
    PlaygroundLesson(
        id="pg-what-d-sees",
        title=N_("What D sees: the game on a plane"),
        idea=N_(
            "Before digits, the same game with points in a plane. The **real data** (green) are points drawn from "
            "a ring of 8 blobs. **G** turns each noise vector z into a point (violet); the thin mesh is the image "
            "of a grid of z, G's whole output. **D** gives every place in the plane a verdict, painted as the "
            "background, with its decision line where it cannot tell real from fake. The orange arrows are the "
            "push G's loss gives each of its points: −∂L_G/∂x.\n\n"
            "Training alternates two moves: (1) a **D step** changes D's weights, (2) a **G step** changes "
            "G's weights. The step buttons make one move at a time."
        ),
        question=N_("You press **One G step**. What changes on the picture?"),
        choices=(
            N_("Only D's background and its decision line"),
            N_("Only G's points (and its mesh)"),
            N_("Both the background and G's points"),
        ),
        correct=1,
        answer=N_(
            "**Only G's points.** A G step changes G's weights and nothing else: D's background is the same "
            "before and after, and G's points move (the line under the picture says by how much). A D step is "
            "the mirror image: the background changes, no point moves. Trained, the two moves alternate and "
            "the violet points spread over the ring. With digits the step is the same, only each point has 784 "
            "coordinates instead of 2, so the game is read through its curves: the next lesson on the Learn "
            "page."
        ),
        look_for=N_(
            "- Press **One D step** a few times: the background and its line shift, the violet points stay.\n"
            "- Press **One G step**: the points move, roughly along their arrows; the background stays.\n"
            "- Then **Train**: the points flow toward the green blobs, and the chart *modes covered* climbs."
        ),
        preset="ring",
        g_steps=1,
        digits="curves",
    ),
    PlaygroundLesson(
        id="pg-collapse",
        title=N_("Mode collapse on the plane"),
        idea=N_(
            "On digits, mode collapse takes a classifier to see: which digits does G draw? On the plane it is a "
            "picture and a number: a blob of the ring is *covered* when enough of G's points fall near it. This "
            "game is the default one with a single change: D learns 10 times slower than G (D's learning rate "
            "1e-4, G's 1e-3)."
        ),
        question=N_("After 2,000 iterations of this game, how many of the 8 blobs will G's points cover?"),
        choices=(N_("All 8, like the default game"), N_("About half of them"), N_("One at most")),
        correct=2,
        answer=N_(
            "**One at most.** Over five seeds this game covered 0 or 1 of the 8 blobs at 1,000, 2,000 and "
            "3,000 iterations: G piles its points into one clump and chases the spot D currently likes around "
            "the ring. Choose the "
            "preset *ring*, the same game with D learning as fast as G: in five of five seeds it covered all "
            "8 blobs from 2,000 iterations. The balance of the two players is the fix."
        ),
        look_for=N_(
            "- **The picture**: the violet points in one clump, often between blobs.\n"
            "- **Modes covered** (right): it stays at 0 or 1; the *high-quality* share stays low.\n"
            "- Then pick the preset *ring* (unless your teacher locked it) and train again: compare the charts."
        ),
        preset="ring-collapse",
        g_steps=2000,
        digits="collapse",
    ),
    PlaygroundLesson(
        id="pg-saturating",
        title=N_("The minimax loss when D is ahead"),
        idea=N_(
            "At the start of real training D quickly learns to reject G's points: D(G(z)) ≈ 0. This game starts "
            "there: before iteration 0, D was trained alone for 1,000 steps, so the background is violet (fake) "
            "wherever G's points are. G's loss is the **minimax** one from the value function, "
            "log(1 − D(G(z))), which is flat where D(G(z)) ≈ 0: its push on a point is D(G(z)) times D's slope "
            "there. The **non-saturating** loss, −log D(G(z)), pushes with (1 − D(G(z))) times the same slope. "
            "Both players use plain gradient descent here, so a step is proportional to the push (Adam would "
            "rescale it and hide the effect)."
        ),
        question=N_(
            "In the next 100 iterations, how far will G's points move with the minimax loss, compared with the "
            "same start under the non-saturating loss?"
        ),
        choices=(
            N_("About as far: it is the same game"),
            N_("Far less: the push almost vanishes"),
            N_("Further: the minimax loss pushes harder"),
        ),
        correct=1,
        answer=N_(
            "**Far less.** Over five seeds (bench/toy2d_loss_lesson.py), D's head start left D(G(z)) at about 0.02 "
            "on G's points. From that same start the minimax loss pushed G's points 45–56 times more weakly than "
            "the non-saturating loss, and in 100 iterations they moved 0.005–0.01 on average, against 1.4–2.4 "
            "under the non-saturating loss: 170–310 times less far. The minimax loss is the value function "
            "itself, and it saturates exactly when G most needs a push: that is why almost every GAN trains G "
            "with −log D(G(z)). A surprise worth knowing: switch the optimiser to Adam (with D's learning rate "
            "1e-3, D(G(z)) falls below 0.0001) and the minimax push is tens of thousands of times weaker, yet "
            "G's points move about as far as under the non-saturating loss, because Adam divides each step by "
            "the recent size of the gradient. The gradient norms still show the saturation: the Learn page's "
            "lesson measures them on digits."
        ),
        look_for=N_(
            "- **The arrows**: press **One G step**; the line under the picture gives D(G(z)) and the mean push. "
            "The orange arrows are hard to see at all.\n"
            "- **Train** for 100 iterations: the violet points hardly move, and D stays sure they are fake.\n"
            "- Then pick the loss *non-saturating* (unless your teacher locked it): the game starts again from "
            "the same head start. Compare the arrows, the push, and how far the points travel toward the ring."
        ),
        preset="ring-d-ahead",
        overrides={"loss": "minimax"},
        g_steps=100,
        digits="saturating",
    ),
    PlaygroundLesson(
        id="pg-wgan-gp",
        title=N_("A stabiliser on the plane: WGAN-GP"),
        idea=N_(
            "WGAN-GP (Gulrajani et al. 2017) replaces D by a **critic** that gives each point a score, not a "
            "probability, and keeps the critic smooth with a gradient penalty; the critic takes 5 steps for each "
            "G step. The background now shows scores, stretched over the range on screen."
        ),
        question=N_("After 1,000 iterations of WGAN-GP on the ring, how many of the 8 blobs will G cover?"),
        choices=(
            N_("All 8 (or 7)"),
            N_("One at most, like the collapse game"),
            N_("None: the critic's scores run away"),
        ),
        correct=0,
        answer=N_(
            "**All 8.** Over five seeds this game covered all 8 blobs at 1,000, 2,000 and 3,000 iterations. "
            "Each iteration costs 6 updates instead of 2, so it is slower per iteration, but the penalised "
            "critic keeps giving G's points a useful push toward the blobs. On digits the same "
            "loss is one of the stabilisers of the Learn page's lesson on stabilisers."
        ),
        look_for=N_(
            "- **The arrows**: where do they point, near the blobs and far from them?\n"
            "- **Modes covered** (right): watch it climb to 8.\n"
            "- **The losses**: a critic's loss is a score difference, not near ln 4; it can be negative."
        ),
        preset="ring-wgan-gp",
        g_steps=1000,
        digits="stabilisers",
    ),
]

PLAYGROUND_IDS = [item.id for item in PLAYGROUND_LESSONS]
PLAYGROUND_BY_ID = {item.id: item for item in PLAYGROUND_LESSONS}


def translated_pg(item: PlaygroundLesson) -> PlaygroundLesson:
    """The lesson in the current language (gan_core.i18n); ids, presets and overrides untouched."""
    return replace(
        item,
        title=_(item.title),
        idea=_(item.idea),
        question=_(item.question),
        choices=tuple(_(c) for c in item.choices),
        answer=_(item.answer),
        look_for=_(item.look_for),
    )
