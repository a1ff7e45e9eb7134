"""Anomaly scores beyond the reconstruction error, as model options any family takes.

``transforms="rotate"`` (or ``"rotate_flip"``, or ``"geom"``) adds a
self-supervised task: a linear head on the encoder's features learns which of 4
rotations (8 with a horizontal flip; 72 with a flip and shifts by a quarter of
the image side in the 8 directions, with reflected borders: Golan &
El-Yaniv's set) was applied to a normal image, as in their
geometric-transformation detector. Each training batch gets
``transform_draws`` random transforms per image (default 1); the loss adds
``transform_weight`` times their cross-entropy (the validation loss: as many
fixed transforms per held-out image, the same every epoch). Images the network
has not learned are harder to orient.

``augment="hflip"`` mirrors a random half of each training batch: for natural
images (CIFAR-10, Caltech-101), where a mirrored normal image is still normal
(not measured in ``benchmarks/`` yet). With transforms only ``"rotate"``: the
mirrored transforms of the larger sets could not be learned from randomly mirrored images.

``score_parts`` chooses what the anomaly score adds up, each part higher = more anomalous:

- ``"reconstruction"``: the family's own score (mean squared error; a VAE's setting);
- ``"latent"``: squared Mahalanobis distance of the code to the Gaussian of the
  training codes (Ledoit-Wolf shrunk covariance), fitted after training;
- ``"transform"``: cross-entropy of the true transform averaged over all of them;
- ``"transform_distance"``: squared Mahalanobis distance of the encoder's features of each
  transformed image to the mean features of the training images under that transform (one
  covariance shared by the transforms, Ledoit-Wolf shrunk, fitted after training on up to
  ``DISTANCE_FIT_IMAGES`` training images), averaged over the transforms: the distance-to-centre
  score of Bergman & Hoshen's GOAD, from the same encoder passes as ``"transform"``;
- ``"transform_dirichlet"``: minus the Dirichlet log-likelihood (up to a constant) of the transform
  head's softmax output for each transformed image, one Dirichlet per transform fitted by maximum
  likelihood after training on the same training images as ``"transform_distance"``, averaged over
  the transforms: Golan & El-Yaniv's normality score, where ``"transform"`` is their simplified one;
- ``"transform_knn"``: the mean squared distance of the encoder's features of each transformed
  image to their ``KNN_NEIGHBOURS`` nearest neighbours among the same training images under the
  same transform, averaged over the transforms, in the whitened space of the ``KNN_DIMS`` leading
  principal axes of the covariance ``"transform_distance"`` uses: a distance to the nearest
  normal images rather than to one centre, for normal classes of several shapes (Bergman, Cohen &
  Hoshen's deep nearest-neighbour detector, on these self-supervised features). The model keeps
  the fit images' projected features: transforms x images x ``KNN_DIMS`` floats (up to 18 MB for
  "geom").

With one part the score is that part, raw (so the default score is the plain
reconstruction error). With several, each is standardised by its mean and
standard deviation on the held-out normal validation samples and the
standardised parts are summed: no anomaly is ever needed to weigh them.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import special
from torch.nn import functional as F

from aedetect.errors import InputError

TRANSFORMS = {"rotate": 4, "rotate_flip": 8, "geom": 72}  # each set starts with the one before
# (rows, columns) shifts of transform k // 8, in quarters of the image side
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (1, 1), (1, -1), (-1, 0), (-1, 1), (-1, -1))
PARTS = ("reconstruction", "latent", "transform", "transform_distance", "transform_dirichlet",
         "transform_knn")
TRANSFORM_PARTS = PARTS[2:]  # the parts of the transformed images' encoder passes: need a transform head
FIT_PARTS = PARTS[3:]  # the parts fitted after training to the transformed features of training images
COVARIANCE_PARTS = ("transform_distance", "transform_knn")  # the parts that whiten the features
DISTANCE_FIT_IMAGES = 1000  # training images (each under every transform) that fit FIT_PARTS
MAX_DISTANCE_FEATURES = 4096  # encoder features COVARIANCE_PARTS take a covariance of
KNN_DIMS = 64  # whitened principal axes "transform_knn" measures distances along
KNN_NEIGHBOURS = 2  # nearest fit images "transform_knn" averages the squared distance to


def check_scoring(config, input_shape: tuple[int, ...]) -> None:
    """Refuse score options that cannot work for these inputs, saying what to change."""
    parts = tuple(config.score_parts)
    if not parts or any(p not in PARTS for p in parts) or len(set(parts)) != len(parts):
        raise InputError(f"score_parts must name distinct parts among {PARTS}; got {parts!r}")
    if config.augment not in (None, "hflip"):
        raise InputError(f"augment must be None or 'hflip'; got {config.augment!r}")
    if config.augment and len(input_shape) != 3:
        raise InputError(f"augment={config.augment!r} mirrors images; samples of shape "
                         f"{tuple(input_shape)} are vectors: leave augment=None")
    if config.transforms is not None:
        if config.transforms not in TRANSFORMS:
            raise InputError(f"transforms must be None or one of {sorted(TRANSFORMS)}; "
                             f"got {config.transforms!r}")
        if len(input_shape) != 3 or input_shape[1] != input_shape[2]:
            raise InputError(f"transforms={config.transforms!r} rotates square images; samples of "
                             f"shape {tuple(input_shape)} are not: leave transforms=None")
        if config.augment == "hflip" and config.transforms != "rotate":
            raise InputError(f"augment='hflip' mirrors training images at random, so the transform head of "
                             f"transforms={config.transforms!r} cannot learn which images were mirrored: "
                             "use transforms='rotate' with it, or leave augment=None")
        if config.transforms == "geom" and input_shape[1] < 4:
            raise InputError(f"transforms='geom' shifts images by a quarter of their side; samples of "
                             f"shape {tuple(input_shape)} are too small: use transforms='rotate_flip'")
    for part in TRANSFORM_PARTS:
        if part in parts and config.transforms is None:
            raise InputError(f"score part {part!r} needs a transform head: add model option "
                             "transforms='rotate'")
    draws = config.transform_draws
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= 256:
        raise InputError(f"transform_draws must be a whole number from 1 to 256; got {draws!r}")
    if not config.transform_weight >= 0:
        raise InputError(f"transform_weight must be >= 0; got {config.transform_weight!r}")


def n_transforms(config) -> int:
    return TRANSFORMS.get(config.transforms, 0)


def _shift(x: torch.Tensor, j: int) -> torch.Tensor:
    """(B, C, H, W) square images moved by ``SHIFTS[j]`` quarter sides, reflected at the borders."""
    dy, dx = SHIFTS[j]
    side = x.shape[-1]
    s = side // 4  # 1 <= s < side: check_scoring refuses geom on images under 4x4
    padded = F.pad(x, (s, s, s, s), mode="reflect")
    return padded[..., s - dy * s: s - dy * s + side, s - dx * s: s - dx * s + side]


def transform(x: torch.Tensor, k: int) -> torch.Tensor:
    """Transform k of (B, C, H, W) square images: shifted by ``SHIFTS[k // 8]`` quarter sides,
    mirrored left-right when (k // 4) is odd, then turned k % 4 quarter turns."""
    if k // 8:
        x = _shift(x, k // 8)
    if (k // 4) % 2:
        x = x.flip(3)
    return torch.rot90(x, k % 4, dims=(2, 3)) if k % 4 else x


def transform_batch(x: torch.Tensor, ks: torch.Tensor, n: int) -> torch.Tensor:
    """Image i transformed by ks[i], as :func:`transform` does it (one step at a time for all
    images that share it: at most 8 shifts, 1 flip and 3 turns whatever ``n`` is)."""
    out = x.clone()
    for j in range(1, (n + 7) // 8):
        chosen = ks // 8 == j
        if chosen.any():
            out[chosen] = _shift(out[chosen], j)
    chosen = (ks // 4) % 2 == 1
    if chosen.any():
        out[chosen] = out[chosen].flip(3)
    for r in range(1, 4):
        chosen = ks % 4 == r
        if chosen.any():
            out[chosen] = torch.rot90(out[chosen], r, dims=(2, 3))
    return out


def _dirichlet_loglik(alpha: np.ndarray, mean_log: np.ndarray) -> float:
    """Mean log-likelihood of Dirichlet(alpha) over samples whose mean log is ``mean_log``."""
    return float(special.gammaln(alpha.sum()) - special.gammaln(alpha).sum() + ((alpha - 1) * mean_log).sum())


def fit_dirichlet(mean_log: np.ndarray, iterations: int = 200, tol: float = 1e-10) -> np.ndarray:
    """Maximum-likelihood Dirichlet parameters (n,) from the mean log (n,) of probability vectors,
    the sufficient statistic: Newton's method on the concave log-likelihood, whose Hessian is a
    diagonal plus a constant, solved in O(n) (Minka 2000, "Estimating a Dirichlet distribution"),
    halving a step that would make an alpha <= 0 or lower the likelihood; from alpha = 1."""
    s = np.asarray(mean_log, dtype=np.float64)
    alpha = np.ones_like(s)
    value = _dirichlet_loglik(alpha, s)
    for _ in range(iterations):
        grad = special.digamma(alpha.sum()) - special.digamma(alpha) + s
        q = -special.polygamma(1, alpha)  # Hessian = diag(q) + z 1 1^T
        z = special.polygamma(1, alpha.sum())
        b = (grad / q).sum() / (1 / z + (1 / q).sum())
        step = (grad - b) / q  # Hessian^-1 grad
        t = 1.0
        while True:
            new = alpha - t * step
            if (new > 0).all() and (new_value := _dirichlet_loglik(new, s)) >= value:
                break
            t /= 2
            if t < 1e-12:
                return alpha
        done = np.abs(new - alpha).max() <= tol * new.max()
        alpha, value = new, new_value
        if done:
            break
    return alpha
