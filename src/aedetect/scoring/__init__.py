"""What the anomaly score adds up: the reconstruction error and parts beyond it.

``score_parts`` (a model option) names the parts, each higher = more anomalous:

- ``"reconstruction"``: the family's own score (mean squared error; a VAE's ``score`` setting);
- ``"latent"``: squared Mahalanobis distance of the code to the Gaussian of the training codes;
- ``"transform"``: cross-entropy of the true transform, averaged over all transforms
  (model option ``transforms``, :mod:`aedetect.models.transforms`);
- ``"transform_distance"``: squared Mahalanobis distance of the encoder's features of each
  transformed image to the training images' mean under that transform (GOAD's distance to the
  transform's centre), averaged over the transforms;
- ``"transform_dirichlet"``: minus the Dirichlet log-likelihood of the transform head's softmax
  output, one Dirichlet per transform (Golan & El-Yaniv's normality score);
- ``"transform_knn"``: the mean squared distance of each transformed image's features to its 2
  nearest training images under the same transform, in the whitened space of the 64 leading
  principal axes (a deep nearest-neighbour score, for normal classes of several shapes);
- ``"latent_knn"``: the mean squared distance of the code to its 5 nearest training codes;
- ``"input_knn"``: the mean squared distance of the (scaled) input to its 5 nearest training
  inputs: a nearest-neighbour detector beside the autoencoder (for tables and small vectors;
  its bank of up to 10,000 training samples is saved with the model).

The transform parts run the encoder once per transform of each image, all transforms of a batch
in one pass. ``score_transforms`` (a model option, an integer; default all) averages them over that
many transforms, evenly spaced in the set's order (8 of geom's 72: every quarter turn, both
mirrorings, 7 of the 8 shifts), for that many times less scoring work.

The statistics are fitted after training on up to ``FIT_IMAGES`` training images. With one
part the score is that part, raw (the default score is the plain reconstruction error). With
several, each is standardised by its mean and standard deviation on the held-out normal
validation samples and the standardised parts are summed: no anomaly is needed to weigh them.
``score_log=True`` (a model option) standardises each part's logarithm instead: the parts are
squared errors and distances with long tails, where one far-off validation sample would set a
part's weight; but near-zero distances (a row repeated in the bank) then weigh heavily the other
way (not with ``transform_dirichlet``, which can be negative; benchmarks/studies/tables.md).
"""

from aedetect.scoring.head import FIT_IMAGES, PARTS, ScoreHead, split_score_options

__all__ = ["FIT_IMAGES", "PARTS", "ScoreHead", "split_score_options"]
