"""Fitted statistics behind the score parts, each a small module: ``fit`` sets its buffers
from features of normal training images, ``forward`` scores features (higher = more
anomalous). Their buffers save with the weights and export to ONNX."""

from __future__ import annotations

import numpy as np
import torch
from scipy import special
from torch import nn

from aedetect.errors import InputError

KNN_DIMS = 64  # whitened principal axes TransformKNN measures distances along
KNN_NEIGHBOURS = 2  # nearest fit images TransformKNN averages the squared distance to
LOG_FLOOR = 1e-12  # PartScale(log=True): parts below it (zero distances) count as it


class LatentGaussian(nn.Module):
    """Squared Mahalanobis distance of a code to the Gaussian of the training codes
    (Ledoit-Wolf shrunk covariance)."""

    def __init__(self, size: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("precision", torch.eye(size))

    def fit(self, codes: np.ndarray) -> LatentGaussian:  # (N, latent)
        from sklearn.covariance import LedoitWolf

        gauss = LedoitWolf().fit(codes.astype(np.float64))
        self.mean.copy_(torch.from_numpy(gauss.location_))
        self.precision.copy_(torch.from_numpy(gauss.precision_))
        return self

    def forward(self, codes: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B,)
        d = codes - self.mean
        return ((d @ self.precision) * d).sum(dim=1)


def whitening(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each transform's mean (transforms, F) of features (N, transforms, F) and W = V / sqrt(eigenvalues),
    the inverse square root of the Ledoit-Wolf covariance of the features about those means
    (defined even when a feature never varies); columns in ascending order of variance."""
    from sklearn.covariance import LedoitWolf

    centred = features.astype(np.float64)  # a copy, centred in place
    mean = centred.mean(axis=0)
    centred -= mean
    gauss = LedoitWolf(assume_centered=True).fit(centred.reshape(-1, centred.shape[2]))
    values, vectors = np.linalg.eigh(gauss.covariance_)  # eigenvalues in ascending order
    values = np.maximum(values, values.max() * 1e-12)
    return mean, vectors / np.sqrt(values)


class TransformDistance(nn.Module):
    """Squared Mahalanobis distance of features under each transform to that transform's training
    mean, one covariance shared by the transforms (GOAD's distance to the transform's centre)."""

    def __init__(self, transforms: int, features: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(transforms, features))
        self.register_buffer("whitening", torch.eye(features))  # precision = W W^T

    def fit(self, mean: np.ndarray, whitening: np.ndarray) -> TransformDistance:
        self.mean.copy_(torch.from_numpy(mean))
        self.whitening.copy_(torch.from_numpy(whitening))
        return self

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # (transforms, B, F) -> (transforms, B)
        # a sum of squares: no cancellation in float32
        return ((features - self.mean[:, None]) @ self.whitening).pow(2).sum(dim=2)


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


class TransformDirichlet(nn.Module):
    """Minus the log-likelihood of the transform head's softmax output for an image under each
    applied transform k, under the Dirichlet fitted to the training images under k (Golan &
    El-Yaniv's normality score), plus its mean over those images."""

    def __init__(self, applied: int, predicted: int):
        super().__init__()
        self.register_buffer("alpha", torch.ones(applied, predicted))
        self.register_buffer("loglik_mean", torch.zeros(applied))  # of the fit images

    def fit(self, head: nn.Module, features: np.ndarray) -> TransformDirichlet:
        """``head``: the network's transform head; ``features``: (N, transforms, F) of fit images.
        For each transform k the maximum-likelihood Dirichlet of the head's softmax outputs (its
        statistic: their mean log) and the mean log-likelihood without its constant."""
        device = self.alpha.device
        with torch.no_grad():
            mean_log = sum(head(torch.from_numpy(features[i:i + 256]).to(device))
                           .double().log_softmax(dim=2).sum(dim=0) for i in range(0, len(features), 256))
        mean_log = (mean_log / len(features)).cpu().numpy()  # (transforms applied, transforms predicted)
        alpha = torch.from_numpy(np.stack([fit_dirichlet(row) for row in mean_log])).float()
        self.alpha.copy_(alpha)
        self.loglik_mean.copy_(((alpha.double() - 1) * torch.from_numpy(mean_log)).sum(dim=1))
        return self

    def forward(self, logits: torch.Tensor) -> torch.Tensor:  # (applied, B, predicted) -> (applied, B)
        # float64, then relative to the fit images' mean: alpha can be ~1e7 and log p ~ -1e-7,
        # the sum ~1e5 and its spread ~1
        log_p = logits.double().log_softmax(dim=2)
        loglik = (log_p * (self.alpha.double() - 1)[:, None]).sum(dim=2)
        return (self.loglik_mean.double()[:, None] - loglik).to(logits.dtype)


class TransformKNN(nn.Module):
    """Mean squared distance of features under each transform k to their ``KNN_NEIGHBOURS`` nearest
    fit images under k, in the whitened space of the ``KNN_DIMS`` leading principal axes (Bergman,
    Cohen & Hoshen's deep nearest-neighbour detector). Keeps transforms x images x dims floats."""

    def __init__(self, transforms: int, features: int):
        super().__init__()
        dims = min(KNN_DIMS, features)
        self.register_buffer("basis", torch.zeros(features, dims))
        self.register_buffer("bank", torch.zeros(transforms, 0, dims))  # sized by the fit

    def fit(self, features: np.ndarray, whitening: np.ndarray) -> TransformKNN:
        basis = torch.from_numpy(whitening[:, -self.basis.shape[1]:]).float()
        self.basis.copy_(basis)
        bank = torch.from_numpy(features).float().transpose(0, 1) @ basis  # (transforms, N, dims)
        self.bank = bank.to(self.basis.device).contiguous()
        return self

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # (transforms, B, F) -> (transforms, B)
        near = torch.cdist(features @ self.basis, self.bank).pow(2)  # (transforms, B, fit images)
        return near.topk(min(KNN_NEIGHBOURS, near.shape[2]), largest=False).values.mean(dim=2)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """The bank's size (the number of fit images) comes from the state loaded."""
        if prefix + "bank" in state_dict:
            self.bank = torch.empty(state_dict[prefix + "bank"].shape, device=self.bank.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class NearestNeighbours(nn.Module):
    """Mean squared Euclidean distance of a vector (a code, or a flattened input) to its
    ``neighbours`` nearest vectors in a bank of training vectors (a nearest-neighbour detector
    in the space the autoencoder works in). Keeps bank size x vector size floats."""

    def __init__(self, size: int, neighbours: int):
        super().__init__()
        self.neighbours = neighbours
        self.register_buffer("bank", torch.zeros(0, size))  # sized by the fit

    def fit(self, vectors: np.ndarray) -> NearestNeighbours:  # (N, size)
        self.bank = torch.from_numpy(vectors.reshape(len(vectors), -1)).float().to(self.bank.device)
        return self

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:  # (B, ...) -> (B,)
        near = torch.cdist(vectors.flatten(1), self.bank).pow(2)  # (B, bank)
        return near.topk(min(self.neighbours, near.shape[1]), largest=False).values.mean(dim=1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """The bank's size comes from the state loaded."""
        if prefix + "bank" in state_dict:
            self.bank = torch.empty(state_dict[prefix + "bank"].shape, device=self.bank.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class PartScale(nn.Module):
    """Standardises each part by its mean and std over normal validation samples; with ``log``,
    each part's logarithm (parts >= 0 with long tails: one far-off validation sample would
    otherwise set a part's weight)."""

    def __init__(self, parts: int, log: bool = False):
        super().__init__()
        self.log = log
        self.register_buffer("center", torch.zeros(parts))
        self.register_buffer("scale", torch.ones(parts))

    def fit(self, raw: np.ndarray) -> PartScale:  # (N, parts), float64
        if self.log:
            if (raw < 0).any():
                raise InputError("score_log=True: a score part took negative values on the validation "
                                 "samples, so it has no logarithm; leave score_log out")
            raw = np.log(np.maximum(raw, LOG_FLOOR))
        self.center.copy_(torch.from_numpy(raw.mean(axis=0)))
        self.scale.copy_(torch.from_numpy(np.maximum(raw.std(axis=0), 1e-12)))
        return self

    def forward(self, raw: torch.Tensor) -> torch.Tensor:  # (B, parts) -> (B, parts)
        if self.log:
            raw = raw.clamp_min(LOG_FLOOR).log()
        return (raw - self.center) / self.scale
