r"""How good are the generated digits? Numbers measured with a digit classifier, each beside a real-data value.

Every metric looks at generated digits through the small digit classifier of gan_core.classifier
(trained once on real MNIST): its softmax p(y|x) over the ten digits and its 128-d penultimate
features f(x). A number alone means little, so each is reported next to what *real* digits score
under the same conditions (same classifier, same sample size):

* Fréchet distance in the classifier's feature space (the MNIST analogue of FID). Fit a Gaussian to
  the features of each set, N(mu1, S1) and N(mu2, S2):

      FD = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2})

  0 for identical distributions. With n samples it is biased upwards, so the **floor** -- the FD
  between two disjoint sets of real digits, n against the reference set -- is the best a perfect
  generator could score at that n.
* classifier Inception Score: IS = exp(E_x KL(p(y|x) || p(y))), p(y) = E_x p(y|x). High when each
  digit is recognisable (p(y|x) peaked) *and* the digits are varied (p(y) spread). Between 1 and the
  number of classes (10); real MNIST scores about 9.9.
* predicted-class histogram, classes present (predicted for >= 1 % of the samples) and the
  mode-collapse meter KL(q || p_data) = sum_c q_c log(q_c / p_data,c), q = fraction of samples
  predicted as class c, p_data = the class frequencies of the real data. 0 = digits in the data's
  proportions; log 10 ~ 2.3 = every sample is the same digit.
* mean confidence = E_x max_c p(c|x): how sure the classifier is about what it sees.
* conditional generators: the fraction of samples the classifier reads as the requested digit.
* InfoGAN generators (a learned code c, never told which digit is which): for each code, the digit the
  classifier reads most often in its samples and that digit's share (the code's purity), and the
  overall purity = fraction of samples read as their code's majority digit (the clustering accuracy of
  the codes as digit classes, 1/10 = codes mean nothing, 1 = each code is one digit).
* memorization: each generated digit's nearest real training digit (L2 distance on pixels scaled to
  [0, 1]), compared with how near real digits sit to the rest of the training set (leave-one-out). A
  generator that copies its training data produces distances far below the real ones.

`quick_quality(images)` is the cheap live version for the app (a few hundred samples, tens of
milliseconds); `gan_core.monitor.QualityMonitor` runs it on a training run every few hundred steps,
off the training thread; `gan_core.evaluation.evaluate_generator(G)` is the complete evaluation.
Reference statistics -- the real digits' features, the floors, the nearest-neighbour baseline -- are
computed once per process and cached (`get_reference`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .classifier import DigitClassifier, default_classifier, predict, split_for_classifier
from .data import ImageData, load_dataset, to_pixels
from .neighbours import k_nearest
from .sampling import generate

PRESENT_THRESHOLD = 0.01  # a class is "present" when at least 1 % of the samples are predicted as it
REFERENCE_SEED = 0  # fixed shuffle of the real reference pool: the same split in every process
NN_PROBES = 1000  # real digits used for the memorization baseline


# ------------------------------------------------------------------------------------------------
# The formulas, on plain arrays
# ------------------------------------------------------------------------------------------------
def _np64(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    f = _np64(features)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"Need at least 2 feature vectors (N, D) to estimate a covariance; got shape {f.shape}.")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def _sym(a: np.ndarray) -> np.ndarray:
    return (a + a.T) / 2.0


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr((S1 S2)^{1/2}) for symmetric positive semi-definite S1, S2, computed stably.

    S1 S2 is not symmetric, but it is similar to the PSD matrix M = S1^{1/2} S2 S1^{1/2}
    (S1 S2 = S1^{1/2} M S1^{-1/2}), so both have the same non-negative eigenvalues l_i and
    Tr((S1 S2)^{1/2}) = sum_i sqrt(l_i). Two symmetric eigendecompositions in float64; tiny
    negative eigenvalues from rounding are clipped to 0.
    """
    s1, s2 = _sym(_np64(sigma1)), _sym(_np64(sigma2))
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T  # S1^{1/2}
    lam = np.linalg.eigvalsh(_sym(root1 @ s2 @ root1))
    return float(np.sqrt(np.clip(lam, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """FD = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}): the Fréchet (2-Wasserstein squared)
    distance between N(mu1, S1) and N(mu2, S2)."""
    mu1, mu2 = _np64(mu1), _np64(mu2)
    s1, s2 = _np64(sigma1), _np64(sigma2)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"Mismatched statistics: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}.")
    diff = mu1 - mu2
    fd = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2))
    return max(fd, 0.0)  # it is >= 0 mathematically; rounding can leave -1e-12


def frechet_from_features(f1, f2) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets (N1, D) and (N2, D)."""
    return frechet_distance(*feature_stats(f1), *feature_stats(f2))


def inception_score(probs) -> float:
    """IS = exp( E_x KL(p(y|x) || p(y)) ),  p(y) = E_x p(y|x);  probs: (N, K) rows summing to 1.

    1 when every sample gets the same prediction; K when the predictions are confident (one-hot)
    and spread evenly over the K classes. (One split over all N samples.)
    """
    p = _np64(probs)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"probs must be (N, K) with N >= 1; got shape {p.shape}.")
    py = p.mean(axis=0, keepdims=True)  # (1, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(np.where(py > 0, py, 1.0))), 0.0)  # 0 log 0 = 0
    return float(np.exp(terms.sum(axis=1).mean()))


def class_histogram(preds_or_probs, num_classes: int = 10) -> np.ndarray:
    """Counts (K,) of predicted classes; accepts predicted labels (N,) or probabilities (N, K)."""
    x = torch.as_tensor(preds_or_probs)
    preds = x.argmax(dim=1) if x.dim() == 2 else x.long()
    return torch.bincount(preds.flatten().cpu(), minlength=num_classes).numpy()[:num_classes].astype(np.int64)


def classes_present(counts, threshold: float = PRESENT_THRESHOLD) -> list[int]:
    """Classes predicted for at least `threshold` (1 %) of the samples."""
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum()
    return [int(k) for k in np.flatnonzero(c >= threshold * n)] if n > 0 else []


def class_kl(counts, data_dist) -> float:
    """KL(q || p_data) = sum_c q_c log(q_c / p_data,c), q = counts / N (0 log 0 = 0). The mode-collapse meter."""
    q = np.asarray(counts, dtype=np.float64)
    if q.sum() <= 0:
        raise ValueError("No samples to compare: the class histogram is empty.")
    q = q / q.sum()
    p = np.clip(np.asarray(data_dist, dtype=np.float64), 1e-12, None)
    p = p / p.sum()
    nz = q > 0
    return float((q[nz] * np.log(q[nz] / p[nz])).sum())


def mean_confidence(probs) -> float:
    """E_x max_c p(c|x): 1 = the classifier is certain about every sample."""
    return float(_np64(probs).max(axis=1).mean())


def nearest_neighbours(queries, bank, exclude=None) -> tuple[np.ndarray, np.ndarray]:
    """For each query digit its nearest bank digit: (L2 distances (N,), bank indices (N,)).

    Both are uint8 pixel sets (N, 28, 28) / (M, 28, 28), compared on pixels scaled to [0, 1], exactly
    (gan_core.neighbours). exclude: optional (N,) bank index per query to skip (leave-one-out when
    queries come from the bank).
    """
    dist, idx = k_nearest(queries, bank, k=1, exclude=exclude)  # (N, 1) each
    return dist[:, 0], idx[:, 0]


def as_pixels(images) -> torch.Tensor:
    """uint8 (N, 28, 28) as is; floats in [-1, 1] (N, 28, 28) or (N, 1, 28, 28) -> uint8 pixels."""
    x = torch.as_tensor(images)
    if x.dtype == torch.uint8:
        return x.reshape(-1, 28, 28)
    return to_pixels(x.float())


# ------------------------------------------------------------------------------------------------
# Real reference: computed once per process
# ------------------------------------------------------------------------------------------------
class RealReference:
    """Real digits seen through one classifier: the statistics every generated sample is compared to.

    The real pool is the classifier's held-out digits when the data has MNIST's test split (a fixed
    random half of it, never trained on), otherwise all the data's digits. It is shuffled once (fixed seed)
    and cut in two disjoint halves: the *reference set* (mu, sigma) and the *floor set*, from which
    n real digits stand in for a perfect generator's n samples. Thread-safe; lazy parts are cached.
    """

    def __init__(self, data: ImageData, classifier: DigitClassifier):
        if data.name != "mnist":
            raise ValueError(f"The digit classifier only knows MNIST digits; it cannot judge {data.title}.")
        self.data, self.classifier = data, classifier
        self._lock = threading.Lock()
        if "test" in data.splits:
            pool = split_for_classifier(data).heldout_rows
            held = (
                "held-out MNIST test digits (a fixed random half of the test split, from both of its "
                "writer groups, never seen by the classifier)"
            )
        else:
            pool = torch.arange(len(data))
            held = f"digits of {data.source} (note: the shipped classifier was trained on these)"
        perm = pool[torch.randperm(len(pool), generator=torch.Generator().manual_seed(REFERENCE_SEED))]
        half = len(perm) // 2
        self.reference_rows, self.floor_rows = perm[:half], perm[half:]
        probs, feats = predict(classifier, data.images[perm])
        self.mu, self.sigma = feature_stats(feats[:half])
        self.floor_probs, self.floor_feats = probs[half:], feats[half:]
        self.reference_size, self.floor_max = half, len(perm) - half
        counts = np.bincount(data.labels.numpy(), minlength=classifier.cfg.num_classes).astype(np.float64)
        self.class_dist = counts / counts.sum()  # p_data: the data's class frequencies
        self.description = f"{half:,} {held}"
        self._floors: dict[int, float] = {}
        self._real: dict[int, dict] = {}
        self._nn_lock = threading.Lock()
        self._nn_baseline = None

    def fd_n(self, n: int) -> int:
        """Sample size used for Fréchet distances: n, capped by the size of the real floor set."""
        return max(2, min(int(n), self.floor_max))

    def frechet(self, features) -> float:
        """FD between features (N, F) and the reference set."""
        return frechet_distance(*feature_stats(features), self.mu, self.sigma)

    def floor(self, n: int) -> float:
        """Real-vs-real floor: FD of fd_n(n) real floor-set digits against the reference set (cached)."""
        m = self.fd_n(n)
        with self._lock:
            if m not in self._floors:
                self._floors[m] = self.frechet(self.floor_feats[:m])
            return self._floors[m]

    def floor_draws(self, n: int, draws: int) -> list[float]:
        """The floor measured `draws` times: FD of fd_n(n) real floor-set digits against the reference set.

        Draw 0 is `floor(n)` (the first rows); draw k > 0 takes a random subset of the floor set (fixed
        seed REFERENCE_SEED + k, so every process agrees). Their spread is how much the floor itself
        moves with the choice of real digits; when fd_n(n) is the whole floor set, every draw is the same.
        """
        m = self.fd_n(n)
        out = [self.floor(m)]
        for k in range(1, int(draws)):
            rows = torch.randperm(self.floor_max, generator=torch.Generator().manual_seed(REFERENCE_SEED + k))[:m]
            out.append(self.frechet(self.floor_feats[rows]))  # (m, F) features of real digits
        return out

    def real_scores(self, n: int) -> dict:
        """What n real digits (the floor set) score on every classifier metric (cached)."""
        m = self.fd_n(n)
        with self._lock:
            if m not in self._real:
                p = self.floor_probs[:m]
                counts = class_histogram(p, len(self.class_dist))
                self._real[m] = {
                    "n": m,
                    "inception_score": inception_score(p),
                    "confidence": mean_confidence(p),
                    "classes_present": classes_present(counts),
                    "class_kl": class_kl(counts, self.class_dist),
                }
            return self._real[m]

    # -- memorization ------------------------------------------------------------------------------
    @property
    def bank(self) -> torch.Tensor:
        """The training digits a GAN on this data sees: all of the data's rows (the Trainer uses them all)."""
        return self.data.images

    def nn_baseline(self) -> np.ndarray:
        """Distances from NN_PROBES real digits to their nearest *other* digit of the bank (leave-one-out)."""
        with self._nn_lock:
            if self._nn_baseline is None:
                g = torch.Generator().manual_seed(REFERENCE_SEED + 1)
                probes = torch.randperm(len(self.bank), generator=g)[:NN_PROBES]
                self._nn_baseline, _ = nearest_neighbours(self.bank[probes], self.bank, exclude=probes)
            return self._nn_baseline

    def memorization(self, images, closest: int = 8) -> dict:
        """Nearest training digit of each generated digit vs. the real leave-one-out distances."""
        px = as_pixels(images)
        dist, idx = nearest_neighbours(px, self.bank)
        base = self.nn_baseline()
        p1 = float(np.percentile(base, 1))
        order = np.argsort(dist)[:closest]
        frac = float((dist < p1).mean()) if len(dist) else float("nan")
        return {
            "generated_median": float(np.median(dist)),
            "generated_min": float(dist.min()),
            "real_median": float(np.median(base)),
            "real_p1": p1,
            "fraction_below_real_p1": frac,
            "verdict": ("possible copies of training digits" if frac > 0.05 else "no sign of memorization"),
            "closest": [
                {"sample": int(i), "train_row": int(idx[i]), "distance": round(float(dist[i]), 4)} for i in order
            ],
        }


_ref_lock = threading.Lock()
_references: dict[tuple, RealReference] = {}


def get_reference(data: ImageData | None = None, classifier: DigitClassifier | None = None) -> RealReference:
    """The cached RealReference for (data, classifier); by default the shipped classifier and
    `load_dataset("mnist")` (data directory from $GAN_CLASSROOM_DATA, else the offline digits)."""
    classifier = classifier or default_classifier()
    data = data if data is not None else load_dataset("mnist")
    key = (id(classifier), id(data))
    with _ref_lock:
        ref = _references.get(key)
        if ref is None or ref.data is not data or ref.classifier is not classifier:
            ref = _references[key] = RealReference(data, classifier)
        return ref


def clear_reference_cache() -> None:
    with _ref_lock:
        _references.clear()


# ------------------------------------------------------------------------------------------------
# Quick, live quality
# ------------------------------------------------------------------------------------------------
@dataclass
class QuickQuality:
    n: int
    histogram: list  # (10,) predicted-class counts
    classes_present: list  # classes with >= 1 % of the samples
    class_kl: float  # KL(predicted || data class distribution)
    inception_score: float
    confidence: float
    frechet: float  # FD vs the real reference set
    frechet_floor: float  # FD of the same number of real digits: the best reachable value
    seconds: float
    code_purity: float | None = None  # InfoGAN G: share of samples read as their code's majority digit

    def to_dict(self) -> dict:
        return asdict(self)


def quick_quality(
    images, reference: RealReference | None = None, codes: torch.Tensor | None = None, num_codes: int = 10
) -> QuickQuality:
    """Cheap metrics for a few hundred generated digits (uint8 (N, 28, 28) or floats in [-1, 1]).

    codes: for an InfoGAN's digits, the (N,) codes they were drawn with; adds the codes' purity.

    For live use while a GAN trains: one classifier pass (~256-512 digits in tens of ms on a CPU),
    no nearest-neighbour search. The reference and its floors are cached per process.
    """
    t0 = time.perf_counter()
    ref = reference or get_reference()
    probs, feats = predict(ref.classifier, images)
    if len(probs) < 2:
        raise ValueError("quick_quality needs at least 2 digits.")
    counts = class_histogram(probs, len(ref.class_dist))
    m = ref.fd_n(len(probs))  # FD on at most as many samples as the real floor set has
    return QuickQuality(
        n=len(probs),
        histogram=counts.tolist(),
        classes_present=classes_present(counts),
        class_kl=class_kl(counts, ref.class_dist),
        inception_score=inception_score(probs),
        confidence=mean_confidence(probs),
        frechet=ref.frechet(feats[:m]),
        frechet_floor=ref.floor(m),
        seconds=time.perf_counter() - t0,
        code_purity=code_report(probs.argmax(1), codes, num_codes, len(ref.class_dist))[1]
        if codes is not None
        else None,
    )


def code_report(predicted: torch.Tensor, codes: torch.Tensor, num_codes: int, num_classes: int = 10):
    """Which digit each InfoGAN code draws: per code [majority predicted digit, its share], and the purity.

    predicted, codes: (n,) ints. purity = (1/n) sum_c max_d #{i : code_i = c, predicted_i = d}.
    """
    table = torch.zeros(num_codes, num_classes, dtype=torch.long)  # (codes, digits)
    table.index_put_((codes.long(), predicted.long()), torch.ones_like(codes, dtype=torch.long), accumulate=True)
    per_code = []
    for row in table:
        total = int(row.sum())
        per_code.append([int(row.argmax()), float(row.max()) / total] if total else [None, 0.0])
    purity = float(table.max(dim=1).values.sum()) / max(1, int(table.sum()))
    return per_code, purity


def code_digits(
    G: torch.nn.Module,
    latent_dim: int,
    num_codes: int,
    classifier: DigitClassifier | None = None,
    per_code: int = 100,
    seed: int = 0,
) -> list[int | None]:
    """The digit each InfoGAN code draws: the classifier's majority verdict on `per_code` of G's digits per code
    (fixed noise, so the answer is the same every time). G learned its codes without labels, in an order of its
    own (the shipped InfoGAN's code 0 draws an 8), so the app names each code by this digit.

    G: in eval mode, taking (z, code). Returns one digit per code (None for a code G never drew a digit with).
    """
    z = torch.randn(per_code * num_codes, latent_dim, generator=torch.Generator().manual_seed(seed))  # (n, latent)
    codes = torch.arange(num_codes).repeat_interleave(per_code)  # (n,)
    probs, _ = predict(classifier or default_classifier(), generate(G, z, codes))  # (n, 10)
    per, _ = code_report(probs.argmax(1), codes, num_codes, probs.shape[1])
    return [digit for digit, _share in per]


__all__ = [
    "QuickQuality",
    "RealReference",
    "class_histogram",
    "class_kl",
    "classes_present",
    "clear_reference_cache",
    "code_digits",
    "code_report",
    "feature_stats",
    "frechet_distance",
    "frechet_from_features",
    "get_reference",
    "inception_score",
    "mean_confidence",
    "nearest_neighbours",
    "quick_quality",
    "trace_sqrt_product",
    "PRESENT_THRESHOLD",
]
