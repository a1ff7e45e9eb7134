#!/usr/bin/env bash
# Rebuilds benchmarks/README.md from the prose below and the tables the scripts wrote to
# benchmarks/results/ (numbers are copied from there, never typed in).
set -euo pipefail
cd "$(dirname "$0")"
tables() { [ -f "results/$1" ] && sed -n '/^\*\*/,$p' "results/$1" || echo "_not measured yet: run \`bash benchmarks/protocols.sh $2\`_"; }
seed_means() {  # one-class: the mean over the ten classes, seed by seed, per model
  [ -f "results/$1" ] && python3 - "results/$1" <<'PY'
import json, statistics, sys
rows = json.load(open(sys.argv[1]))["rows"]
for m in dict.fromkeys(r["model"] for r in rows):
    seeds = sorted({r["seed"] for r in rows if r["model"] == m})
    means = [100 * statistics.mean(r["auroc"] for r in rows if r["model"] == m and r["seed"] == s) for s in seeds]
    print(f"- {m}: mean AUROC over the classes, seed by seed: {' / '.join(f'{v:.2f}' for v in means)} "
          f"(mean {statistics.mean(means):.2f}, sd {statistics.pstdev(means):.2f})")
PY
  true
}
head_of() { [ -f "results/$1" ] && grep -E '^- (command|code|date|machine|torch_threads|seeds|jobs|threads_per_job|wall_seconds):' "results/$1" || true; }
result_section() {  # one `aedetect benchmark` folder: heading, header, tables (one-class: seed means); $2: its protocols.sh name
  local f=$1
  echo "#### $f"; echo
  [ -f "results/$f/results.md" ] && { head_of $f/results.md; grep -E '^- resumed:' "results/$f/results.md" || true; echo; }
  tables $f/results.md "$2"; echo
  if [ "${f#one-class}" != "$f" ]; then seed_means $f/results.json && echo; fi
}
result_sections() {  # result_section for each FOLDER:NAME argument
  local pair
  for pair; do result_section "${pair%%:*}" "${pair##*:}"; done
}
{
cat <<'MD'
# Benchmarks

Scripts that measure aedetect on real data; never run by pytest. Each writes
its results with the command, machine, date and seeds to `results/`; this page
is rebuilt from those files by `bash benchmarks/make_readme.sh`.

Rules: training, early stopping and thresholds use normal training data and a
held-out slice of it only; test data are scored once; like is compared with
like (same split, epochs and machine, in one run); means and spreads are over
seeds. PyOD (`pyod-ae`, `pyod-vae`: its `AutoEncoder` and `VAE` with their
defaults, on flattened inputs scaled to [0, 1]) runs on the same splits in the
same run.

Machine: the 2-core CPU development machine. **Training times in the
paper-mnist and caltech-airplanes tables were measured while other jobs shared
the 2 cores**, so they are upper bounds (the model-family run below had the
machine to itself: the CAE trains in 48 s there against 117 s in the
paper-mnist table, for the same 10 epochs on the same data). The one-class
MNIST / Fashion-MNIST and paper-cifar tables (3 seeds, dated in each) ran
alone, apart from a short low-priority test run during the Fashion-MNIST one;
the one-class CIFAR-10 table and every `-ssl` table ran two at a time, each
on one core (`torch_threads: 1` in their headers).

## Model family: MNIST digit 1 normal, digit 7 anomalous

`python benchmarks/model_family.py --seeds 0 1 2`. Every family on the
identical `paper-mnist` network (the paper's Tables 1 and 3, plus batch
normalisation); the last row is the network built literally, without batch
normalisation. The paper's numbers are its Table 5, class 7.

MD
sed -n '/^MNIST, normal/,$p' results/model_family.md
cat <<'MD'

Built literally (Leaky ReLU, sigmoid, MSE, Adam 1e-3, batch 128) the network
outputs all zeros from the second epoch in 3 of 3 seeds: its loss sits at the
mean of x^2 and its score is the image's ink, hence the same AUROC 0.8194 for
every seed. aedetect detects this (`CollapseWarning`, `history_["collapsed"]`);
batch normalisation, the documented change in the preset, removes it.

## paper-mnist: the comparative paper's MNIST protocol (normal class 1)

MD
head_of paper-mnist/results.md; echo; tables paper-mnist/results.md paper-mnist
cat <<'MD'

## paper-cifar: the comparative paper's CIFAR-10 protocol (normal class dog)

Measured on `../shared/data/cifar10-jpeg`, a JPEG-compressed copy (quality
about 75): close to, not identical with, numbers on the original release.

MD
head_of paper-cifar/results.md; echo; tables paper-cifar/results.md paper-cifar
cat <<'MD'

## one-class: each class normal in turn, the whole official test set

MD
for pair in mnist:mnist fashion-mnist:fashion fashion-mnist-dense:fashion-dense cifar10:cifar; do
  d=${pair%%:*}
  echo "### $d"; echo
  [ "$d" = fashion-mnist-dense ] && echo "A dense autoencoder (the \`mnist-dense\` preset, 784-400-20, as \`ae\`; 10 epochs) on the same protocol." && echo
  head_of one-class-$d/results.md; echo; tables one-class-$d/results.md "${pair##*:}"; echo
  seed_means one-class-$d/results.json; echo
done
cat <<'MD'
## Beyond the reconstruction error: score options on the one-class protocol

**Where the targets stand** (mean AUROC over the ten classes, 3 seeds unless
said; how each configuration was chosen is in the sections below; times on
this 2-core CPU, one core per model, `--jobs 2`):

| data set | target | result | configuration | sd over seeds | time | `protocols.sh` |
|---|---|---|---|---|---|---|
| MNIST | 99 | **99.15** (`td+tdir+tk`, 40 epochs; 99.20 / 99.14 / 99.12): met; digits 8 (97.2) and 7 (98.7) hold it down; `td+tdir` with 30 epochs had 98.96 | MNIST-like | 0.04 | 553 s training + 93 s scoring per class, ten classes in about 54 min | `mnist-best` |
| Fashion-MNIST | 95 | **95.10** (`td+tdir+tk`, 40 epochs; 95.08 / 95.04 / 95.19): met, narrowly; Shirt (85.9) and Sandal (90.9) hold it down | MNIST-like | 0.07 | 515 s training + 88 s scoring per class, ten classes in about 50 min | `fashion-best` |
| CIFAR-10 (JPEG copy) | 80 | **81.44** | natural images | 0.10 | 321 + 63 s per class, ten classes in 32 min | `cifar-natural` |
| paper-cifar (dog normal) | every class above the paper's best | **0.8224** (paper's best 0.6177); every class above the paper's best, horse only just (0.6629 ± 0.0046 against 0.6612; seed 2: 0.656) | natural images | 0.0023 | 324 s training + 62 s scoring per model, 3 models in 13 min | `paper-cifar-natural` |
| Caltech-101 airplanes, held out | 0.98 | **0.982** (reconstruction + latent + transform chosen on MNIST, 30 epochs); 0.988 with the natural-image parts, a development number (chosen there); the MNIST-like configuration (`td+tdir+tk`) 0.966 | | 0.0017 | 375 s training per model, 3 models in 30 min | `caltech-geom-e30`, `caltech-natural` |

Options every family takes (`aedetect.models.transforms`, `aedetect.scoring`; off by default): a
linear head on the encoder that learns which of 8 transforms (4 rotations, each
mirrored or not: `transforms="rotate_flip"`; 4 with `"rotate"`) was applied to
a normal image, trained with the autoencoder; the latent part (Mahalanobis
distance of the code to a Gaussian of the training codes); and `score_parts`,
which sums the chosen parts after standardising each by its mean and standard
deviation on the held-out validation normals. No pretrained weights.

How the configuration was chosen without test labels of the data sets it is
reported on: one seed (0) of the one-class protocol on **MNIST** only (the
ablation tables below: `plain` and `rotate`, then `rotate_flip`); its best row,
`rotate_flip` with reconstruction + latent + transform, was the recommended
configuration (until `geom` x4, below) and was then run unchanged with 3 seeds on MNIST, Fashion-MNIST
and CIFAR-10. The Fashion-MNIST ablation (seed 0, `plain` and `rotate`) ran
before that choice; the choice between `rotate` and `rotate_flip` was made on
the MNIST numbers alone. It stays the paper's network (`paper-mnist`,
`paper-cifar` presets), 10 epochs. PyOD's numbers for comparison are in the
plain one-class tables above (same splits and seeds, an earlier run on the
same machine).

**These runs (`-ssl`) ran two at a time, each on one core** (`OMP_NUM_THREADS=1`,
torch_threads 1 in the header): their times are single-core times, not
comparable one to one with the 2-thread times of the tables above. Scoring
(8 encoder passes per image for the transform part) is not in the training
times: about 12 s per class for the 10,000 test images in the ablation.

What it shows: on MNIST the recommended options lift the paper's network from
95.1 to 97.9 (GEOM 98.0, OCGAN 97.5); on Fashion-MNIST, where nothing was
chosen, from 90.0 to 94.0, above PyOD's AutoEncoder (91.7) and GEOM (93.5);
on CIFAR-10 (the paper's tiny 8-32-channel network, 10 epochs) from 59.0 to
71.7, above Deep SVDD (64.8) and OCGAN (65.6), far below GEOM (86.0, a wide
residual network).
Each part helps alone and the sum beats every single part on both data sets
(ablation below). The plain reconstruction error of the plain rows reproduces
the plain one-class tables' seed 0 exactly (94.89, 90.34); the recommended
run's seed 0 (98.04) differs from the ablation's (97.90) because one thread
sums floats in another order than two. On the paper's dog-normal CIFAR-10
protocol the same options raise the CAE's mean from 0.564 to 0.674 (paper's
best 0.618), above the paper in six of nine classes but below it on deer,
frog and horse, the animals closest to dogs; on Caltech-101 airplanes
(held out) from 0.922 to 0.970 (target 0.98). Not reached: the targets of 99 (MNIST),
95 (Fashion-MNIST) and 80 (CIFAR-10); Shirt (83), MNIST's 8 (94) and CIFAR's
cat (59) are the weak classes.

MD
for pair in mnist:mnist-ssl fashion-mnist:fashion-ssl cifar10:cifar-ssl; do
  d=${pair%%:*}
  echo "### $d, recommended score options"; echo
  head_of one-class-$d-ssl/results.md; echo; tables one-class-$d-ssl/results.md "${pair##*:}"; echo
  seed_means one-class-$d-ssl/results.json; echo
done
for pair in paper-cifar:paper-cifar-ssl caltech-airplanes:caltech-ssl; do  # shown once measured
  if [ -f "results/${pair%%:*}-ssl/results.md" ]; then
    echo "### ${pair%%:*}, recommended score options"; echo
    head_of ${pair%%:*}-ssl/results.md; echo
    [ "${pair%%:*}" = caltech-airplanes ] && echo "**The F1 / accuracy at 0.02 columns and the threshold sweep of this table do not apply**: the score here is a sum of standardised parts, not a mean squared error, so 0.02 lies inside the normal range and flags nearly everything. (Runs after this one leave them out.) The calibrated F1 uses the validation-normal threshold and does apply." && echo
    tables ${pair%%:*}-ssl/results.md "${pair##*:}"; echo
  fi
done
cat <<'MD'
### 72 transforms (`geom`) and 4 draws per image

Golan & El-Yaniv's transformation set (`transforms="geom"`): the 8 of
`rotate_flip`, each also shifted by a quarter of the image side in the 8
directions (reflected borders), 72 in all; with `transform_draws=4` every
training image is shown under 4 random transforms per batch (with one draw and
10 epochs an image meets about 10 of the 72). Taken from their paper, not
tuned here.

How it was chosen, without test labels of the data sets it is reported on:
the rule of the section above, fixed before this run: the best row of the
one-class protocol on **MNIST, seed 0**, among `rotate_flip` (97.90 with 2
threads, 98.04 with 1 in the 3-seed run) and `geom` with 4 draws. `geom`
with 4 draws and all three parts got 98.32, so it became the recommended
configuration; Fashion-MNIST and CIFAR-10 only show what it does elsewhere.
`geom` with one draw was measured on CIFAR-10 only (on MNIST its GPU run was
cut off after 4 classes and is not reported).

Where each number comes from (every table's header says):
- MNIST and Fashion-MNIST ablations (seed 0): this 2-core CPU, the two runs
  side by side, one core each (torch_threads 1); a low-priority test run
  shared the cores for part of them, so their times are upper bounds.
- CIFAR-10 ablations (seed 0, `geom` and `geom` x4) and paper-cifar with
  `geom` (one draw, 3 seeds): an NVIDIA H200 lent for one session, three runs
  sharing the GPU, on a byte-identical copy of `cifar10-jpeg` unpacked to
  `/tmp/data` (the runs' `--data`). On a GPU the random transforms of each
  batch come from CUDA's random generator, not the CPU's, so a GPU run is
  another sample of the same procedure, not the CPU run again: CIFAR-10,
  `geom` x4, seed 0, all three parts: 75.44 on the GPU, 74.54 on the CPU.
  The GPU barely speeds these tiny networks up (24 s per class of CIFAR-10
  for 10 epochs, while sharing it with two other runs): their kernels are too
  small to fill it.
- one-class CIFAR-10 and paper-cifar with `geom` x4, 3 seeds: this CPU,
  `--jobs 2` (two models at a time, one core each; training times are
  one-core times); `wall_seconds` in the header is the whole run, scoring
  included.

What it shows. One-class CIFAR-10: 74.3 over 3 seeds (74.54 / 74.76 /
73.72) against 71.7 for `rotate_flip` and 59.0 for the plain reconstruction
error; all ten classes of a seed train and score in about 15 minutes on the
2 cores (2,750 s for the 30 models). MNIST, seed 0: 98.32 (`rotate_flip`
98.04 on one thread); Fashion-MNIST, seed 0: 94.21 (`rotate_flip` 94.19):
no gain there. paper-cifar (dog normal), 3 seeds: mean 0.706 with 4 draws
(0.698 with one, on the GPU; `rotate_flip` 0.674, the paper's best 0.618),
still below the paper on deer (0.505 against 0.546), frog (0.564 / 0.578) and
horse (0.563 / 0.661), the animals closest to dogs. Not reached: the targets of 99 (MNIST), 95 (Fashion-MNIST)
and 80 (CIFAR-10). The CIFAR-10 ablation says where the rest is: the
transform part alone scores 79.2 and reconstruction + transform 78.7, while
the latent part (54 alone, below chance for cat and dog) pulls the sum of
three down to 75.4. The MNIST rule keeps all three; choosing the parts on
CIFAR-10's own numbers would be tuning on its test labels.

### 30 epochs instead of 10, with a cheaper validation loss

Why more epochs: the validation loss of held-out normal images (what picks
the kept epoch) was still falling at epoch 10 when we looked at two 30-epoch
curves of `geom` x4 (CIFAR-10 dog and MNIST 3, seed 0; an ad-hoc look, not
saved); normal images only, no test label. The 30-epoch MNIST ablation below
confirms it on every class: the kept epoch is 21 to 30 (mean 26.7, `kept
epoch` column). 30 is what the compute target leaves room for on this CPU,
not a tuned value.

Since commit 48bed70 the validation loss gives each held-out image
`transform_draws` fixed transforms (the same every epoch) instead of all 72,
which cost about a third of a `geom` epoch (MNIST, one core: 17.4 s per epoch
before, 11.7 s after, from the two ablations' training times). The 10-epoch `geom` runs above predate
it, so the 10- and 30-epoch rows differ in both; the 30-epoch runs record
their commit (`code`) in their headers.

Adopted by the rule of the sections above, fixed before the run (the best
row on MNIST, seed 0): 98.49 with 30 epochs against 98.32 with 10, all three
parts both times, so 30 epochs are now recommended. What it does elsewhere:
one-class CIFAR-10, 3 seeds: 75.24 (75.32 / 75.61 / 74.79, sd 0.34) against
74.34 with 10 epochs, higher on every seed; all ten classes of a seed train
and score in about 25 minutes on the 2 cores (4,464 s for the 30 models,
`--jobs 2`). MNIST, 3 seeds (ablation table `ablation-mnist-geom4-e30-seeds012`
below, three runs joined with `--merge`): 98.40 (98.49 / 98.39 / 98.34, sd
0.06); 351 s of training and 66 s of scoring per class on one core, ten
classes in 35-36 minutes per seed with `--jobs 2` (seed 2's digit 1 trained in
462 s while a test run shared the cores). Fashion-MNIST: see its ablation
below.

paper-cifar (dog normal, `bash benchmarks/protocols.sh paper-cifar-geom-e30`),
3 seeds: 0.702 (0.707 / 0.706 / 0.692) against 0.706 with the preset's 20
epochs: no gain; still below the paper on deer (0.493 against 0.546), frog
(0.567 / 0.578) and horse (0.549 / 0.661). Training took 152-160 s per model
with 2 threads; seed 0's 989 s is not a training time: the run waited at low
priority behind the Caltech run below for most of it.

Caltech-101 airplanes (held out, `bash benchmarks/protocols.sh
caltech-geom-e30`: the recommended options on the notebook's network
`caltech-cae`, 30 epochs, `--classes airplanes` to leave out the leaky
contrast task): 0.9822 ± 0.0017 over 3 seeds (0.9800 / 0.9825 / 0.9841),
target 0.98; `rotate_flip` with 20 epochs had 0.970 and the plain
reconstruction error 0.922. 375 s of training per model on one core (640
airplanes of 96x96, 30 epochs); the 3 models took 1,818 s with `--jobs 2`,
scoring included (72 encoder passes over each of the 8,504 test images is
most of a model's time here); a test run shared the cores for part of it.
The run started from commit d98e571 plus the uncommitted `--classes` option
(`code: d98e571-dirty`; committed in 2c01192 together with changes the run
does not use: the ablation's `--merge` and a test).

### An ensemble of two 15-epoch models instead of one 30-epoch model

`python benchmarks/one_class_ablation.py --dataset mnist --seeds 0 --configs
geom_x4 --epochs 15 --members 2 --jobs 2` (ablation table
`ablation-mnist-geom4-e15x2` below): two models per class (seeds 0 and 100),
each score part the mean of the two models' standardised parts, the same
training compute as one 30-epoch model and twice its scoring. Judged by the
rule above, fixed before the run (the best row on MNIST, seed 0): 98.40
against 98.49 for the single 30-epoch model, so not adopted. Each part alone
gains (reconstruction 94.45 against 93.76, latent 97.41 against 96.42,
transform 96.91 against 96.89) but their sum does not. Cost: 370 s of
training and 137 s of scoring per class on one core (350 s and 66 s for the
single model); 2,556 s for the ten classes with `--jobs 2`. The option
exists in the ablation script only (a prototype); it was not made a detector
option.

### Distance to each transform's centre (`transform_distance`)

A fourth score part, after Bergman & Hoshen's GOAD: the encoder features of
each of the 72 transformed images, their squared Mahalanobis distance to the
mean features of the training images under the same transform (one
covariance for all transforms, Ledoit-Wolf shrunk, about those means; fitted
after training on 1,000 evenly spaced training images), averaged over the
transforms. It reuses the encoder passes of the transform part, so it costs a
matrix product per pass at scoring and one fit after training; the training
itself is unchanged (`geom_x4_dist` trains exactly the models of `geom_x4`:
the rows without `td` of its table reproduce the 30-epoch `geom_x4` table to
the last digit). These runs kept the precision as its Cholesky factor (commit
9f9c3e7); since a66346f the whitening comes from the covariance's
eigenvectors (the same distance up to rounding, and defined when a feature
never varies).

Rule, fixed before the run and written down with it: on the development set
(MNIST, seed 0, 30 epochs) adopt the best of the 15 rows if it contains `td`
and beats reconstruction + latent + transform of the same models. Result
(`ablation-mnist-geom4dist-e30` below): all four parts 98.63 against 98.49;
`td` alone 97.82, the best single part (transform 96.89, latent 96.42,
reconstruction 93.76), 99.9 on digit 0 where the transform part has 95.2.
So the recommended score parts became all four (until the Dirichlet part
below replaced them). The gain on the
development set is small (0.14, about twice the spread of the three-part
score over seeds: sd 0.06). Cost: 378 s of training per MNIST class on one core
(350 s without: the fit adds about 28 s) and 82 s of scoring (66 s); 2,340 s
for the ten classes with `--jobs 2`.

What it does elsewhere (the same rule, applied unchanged; the old rows of
each table are the three-part configuration on the same models):
- CIFAR-10, seed 0 (`ablation-cifar10-geom4dist-e30-seed0`): all four parts
  71.34 against 75.32 for three (the latter equal to seed 0 of the 3-seed
  `one-class-cifar10-geom4-e30` run, 75.32). The distance part fails on
  natural images as the latent part does: 54.6 alone, below chance when
  automobile (35.1), horse (45.2), truck, dog or cat is normal; the images of
  other classes lie closer to the normal class's centre than its own
  held-out images. Reconstruction + transform has 79.32 and the transform part
  alone 79.67 on these models; choosing those parts for CIFAR-10 from this
  table would be choosing on its test labels, so the reported configuration
  stays the MNIST rule's. 257 s of training and 76 s of scoring per class on
  one core; 1,671 s for the ten classes with `--jobs 2`.
- Fashion-MNIST, seed 0 (`ablation-fashion-mnist-geom4dist-e30`): all four
  parts 94.53 against 94.36 for three (old rows reproduced to the last digit);
  `td` alone 92.56; Shirt 84.0 stays the weak class. 433 s of training and
  103 s of scoring per class; 2,731 s for the ten classes with `--jobs 2`,
  a test run sharing the cores for about 15 minutes of it. Target 95: not
  reached.

### Golan & El-Yaniv's Dirichlet normality score (`transform_dirichlet`)

A fifth score part: for each of the 72 transforms, a Dirichlet distribution
fitted by maximum likelihood (Newton's method, Minka 2000) to the transform
head's softmax outputs for the training images under that transform (the
same 1,000 evenly spaced images as `transform_distance`); the part is minus
the log-likelihood of a test image's 72 outputs under their transforms'
Dirichlets, averaged over the transforms: the geometric-transformation
paper's score, of which the `transform` part (cross-entropy of the true
transform) is their simplified version. It reuses the encoder passes of the
transform parts and computes in float64 (the Dirichlet of a confident head
has parameters up to ~1e7, times log-probabilities near 0). Training is
unchanged: the rows of `geom_x4_dir` without `tdir` reproduce
`ablation-mnist-geom4dist-e30` (130 of 150 AUROCs to the last bit; the 20
with `td` differ by at most 1.2e-7, from the whitening's change of form).

Rule, fixed before the run and written down with it: on the development set
(MNIST, seed 0, 30 epochs) adopt the best of the 31 rows if it contains
`tdir` and beats the four parts above (98.63) on the same models. Result
(`ablation-mnist-geom4dir-e30` below): the best row is `td+tdir`, 98.94
(digit 8: 97.1 against 95.6), then rec+td+tdir 98.86 and all five parts
98.83; `tdir` alone 94.86, below the cross-entropy's 96.89 because of digit 1
(73.7 against 95.0; a likely cause, not checked: a 1 turned by half a turn
looks like a 1, so the head's outputs for normal 1s are split between such
transforms, and the Dirichlet fitted to that split may find other digits'
outputs no less likely) and above it on digits 0, 4 and 8. So the recommended score parts are now `["transform_distance",
"transform_dirichlet"]`: the autoencoder and its transform head are trained
as before, and the score no longer includes the reconstruction error. Cost:
379 s of training per MNIST class on one core (the Dirichlet fit adds about a
second to the distance part's fit) and 84 s of scoring; 2,332 s for the
ten classes with `--jobs 2`.

What it does elsewhere (the same rule, applied unchanged):
- Fashion-MNIST, seed 0 (`ablation-fashion-mnist-geom4dir-e30`): `td+tdir`
  94.61 against 94.53 for the four parts (old rows reproduced: 136 of 150
  AUROCs to the last bit, the others within 1.2e-7); `tdir` alone 93.42
  against the cross-entropy's 91.94, higher on 7 of the 10 classes (Pullover
  92.1 against 87.9, Shirt 85.2 against 81.6). The best row, lat+tr+td+tdir,
  has 94.86. Target 95: not reached. 371 s of training and 83 s of scoring
  per class; 2,308 s for the ten classes with `--jobs 2`.
- CIFAR-10, seed 0 (`ablation-cifar10-geom4dir-e30-seed0`): `td+tdir` 74.09
  against 71.34 for the four parts and 75.32 for the first three (old rows
  reproduced: 129 of 150 to the last bit, the others within 2.3e-7). `tdir`
  alone 72.98, below the cross-entropy's 79.67 on 8 of 10 classes. The best
  row is reconstruction + transform + `tdir`, 81.64 (then tr+td+tdir 80.87);
  as with `td` above, picking it from this table would be picking on
  CIFAR-10's test labels, so it is not the reported configuration. 267 s of
  training and 80 s of scoring per class; 1,740 s for the ten classes with
  `--jobs 2`.

MD
for f in one-class-cifar10-geom4 one-class-cifar10-geom4-e30 paper-cifar-geom paper-cifar-geom4 \
         paper-cifar-geom4-e30 caltech-airplanes-geom4-e30; do
  [ -f "results/$f/results.md" ] && result_section $f "$f"
done
cat <<'MD'
### A cosine learning rate (`lr_schedule="cosine"`)

The learning rate (Adam, 1e-3) is annealed at the start of each epoch to
`1e-3 * (1 + cos(pi * (epoch - 1) / epochs)) / 2`: the full rate in the first
epoch, near zero in the last. No extra compute; the validation losses of the
constant rate were still jumping from epoch to epoch at 30 (digit 1: 0.21,
0.26, 0.38, 0.22), so the kept epoch was partly luck.

Rule, fixed before the run and written down with it (commit d9f8edf): rerun
the MNIST ablation of the recommended configuration (seed 0, `geom_x4_dir`,
30 epochs, `--jobs 2`) with `--lr-schedule cosine`; adopt it if and only if
its `td+tdir` mean beats 98.94 (`ablation-mnist-geom4dir-e30`, the constant
rate, all else equal); the score parts stay `td+tdir` either way. Result
(`ablation-mnist-geom4dir-e30-cosine` below): **99.02 against 98.94**, so it is
adopted. Eight of the ten classes gain (digit 8: 97.4 against 97.1, 7: 98.1
against 97.9, 3: 98.9 against 98.8), 4 is equal and 6 loses 0.01. 28 of the 31
rows gain (the Dirichlet score alone most: 96.10 against 94.86); the three
that do not (reconstruction alone, rec+tr, rec+lat+tr) lose at most 0.03.
379 s of training and 82 s of scoring per class, as with the constant rate;
2,381 s for the ten classes with `--jobs 2`.

### 40 epochs instead of 30

Rule, fixed before the run and written down with it (commit b7615d9): rerun
the MNIST ablation of the recommended configuration (seed 0, `geom_x4_dir`,
cosine rate, `--jobs 2`) with `--epochs 40`; adopt 40 epochs if and only if
its `td+tdir` mean beats 99.02 (the 30-epoch cosine ablation) and the ten
classes take at most 3,600 s with `--jobs 2`. Why: with the cosine rate the
kept epoch was 26.3 on average (the validation loss still creeping down at
the end), 10 to 30 epochs had gained before, and 40 epochs fit the compute
target.

Result (`ablation-mnist-geom4dir-e40-cosine` below): **99.03 against 99.02**
(99.029 against 99.022) in 3,011 s, so by the rule 40 epochs are adopted. Said
plainly: the gain is 0.007 points, a sixth of the spread over seeds (sd 0.04),
and 17 of the 31 part subsets gain while 14 do not; the evidence is that 40
epochs are no worse, not that they are better. Per class 514 s of training
(379 s at 30 epochs; digit 5 stopped early at 415 s) and 87 s of scoring; the
kept epoch is 35.4 on average. Digit 7 gains most (98.2 against 98.1), digit
8 loses most (97.2 against 97.4).

### The recommended configuration, three seeds (`aedetect benchmark`)

`bash benchmarks/protocols.sh mnist-best` (and `fashion-best`): `geom` x4,
40 epochs, the cosine learning rate, score parts `transform_distance` +
`transform_dirichlet` + `transform_knn` (the last
adopted after this section was first written: see the section on
`transform_knn` below), with the `aedetect benchmark`
command a user runs, `--jobs 2` (two models at a time, one core each). A
stopped run goes on with `RESUME=--resume bash benchmarks/protocols.sh NAME`
(its header then says which runs it reused); until then its finished runs are
in its result folder's `runs/`, one JSON file per class and seed.

MNIST (`mnist-best`): **99.15** over 3 seeds (99.20 / 99.14 / 99.12, sd
0.04), so the target of 99 is met, by 0.15 points (GEOM 98.0). Seed 0
reproduces the `td+tdir+tk` row of `ablation-mnist-geom4knn-e40-cosine`
(every digit within 2e-16: the same models); seeds 1 and 2 are lower on most
digits, by up to 0.34 points (digit 8: 97.33 / 97.17 / 96.99). Per digit (mean
of 3 seeds): 0 99.82, 1 99.86, 2 99.72, 3 99.09, 4 99.21, 5 99.27, 6 99.83, 7
98.66, 8 97.16, 9 98.89; 8 and 7 are the weak ones, as with every
configuration before it. Against `mnist-best-e30` (`td+tdir`, 30 epochs,
cosine rate, the same seeds: 98.96) it gains 0.19 points, most on digit 7
(98.66 against 97.92). 553 s of training (469-628 s) and 93 s of scoring per
run on one core, so a seed's ten classes take about 54 minutes with `--jobs
2`. The run was stopped and resumed over three sessions (14 runs on code
f20ddb7, whose header says `f20ddb7-dirty` because fashion-best's result
files were not yet committed; 2 on 52cc703; 14 on eb965d4; nothing the run
uses changed between them), so its `wall_seconds` covers the last 14 runs.

Caltech-101 airplanes (`caltech-best`) was not run with `aedetect benchmark`:
the ablation of `transform_knn` on natural images below trains the same
models on the same seeds and has this configuration at 96.58 ± 0.39, below
the natural-image configuration (98.84) and the target of 0.98.

Fashion-MNIST (`fashion-best`; every setting was chosen on MNIST, though
the idea of `transform_knn` came from Fashion-MNIST's test labels, as its
section says): **95.10** over 3 seeds (95.08 / 95.04 / 95.19), so the target
of 95 is met, by 0.10 points: a narrow margin, about GEOM's 93.5 plus 1.6.
Shirt (85.9) and Sandal (90.9) are the weak classes. Against seed 0 of
`td+tdir` with 30 epochs and the constant rate (94.61,
`ablation-fashion-mnist-geom4dir-e30`; epochs, rate and `tk` all differ),
seed 0 gains on nine classes, most on Bag (97.7 against 95.8) and
Sandal (90.2 against 88.9), the classes of several shapes that motivated
`transform_knn`; Ankle boot loses 0.1. 515 s of training (463-639 s) and 88
s of scoring per run on one core, so a seed's ten classes take about 50
minutes with `--jobs 2`. The run was stopped and resumed over two sessions
(16 runs on code deb9986, 14 on f20ddb7, which changed only an error
message), so its `wall_seconds` covers the last 14 runs.

MD
result_sections one-class-mnist-best-knn-e40:mnist-best one-class-fashion-mnist-best-knn-e40:fashion-best
cat <<'MD'
### Natural images: score parts chosen on Caltech-101 airplanes

Every setting above was fixed on MNIST seed 0 and applied unchanged. The
distance parts it chose cost natural images (Caltech airplanes 0.977 against
0.982 for the three-part score on the same models), so natural colour
photographs get a development set of their own: the held-out airplanes task
of caltech-airplanes, never CIFAR-10. Rule, fixed before the run (commit
113167a): train `geom_x4_dir` with the recommended training (40 epochs,
cosine rate) on seeds 0, 1, 2 (`python benchmarks/one_class_ablation.py
--dataset caltech-airplanes --seeds 0 1 2 --configs geom_x4_dir --epochs 40
--lr-schedule cosine --jobs 2`); the subset of the five parts with the
highest mean AUROC over the seeds becomes the natural-image configuration,
applied unchanged to one-class CIFAR-10 and paper-cifar. Caltech's number for
that subset is then a development number (chosen on its own test labels), not
a result. Said openly: the CIFAR-10 ablation (test labels, seed 0, above)
had already shown reconstruction + transform + Dirichlet scoring best there;
that is why the rule takes whatever wins on Caltech, mechanically.

Result (`ablation-caltech-airplanes-geom4dir-e40-cosine` below):
reconstruction + transform + Dirichlet, **0.9884 ± 0.0019** (0.9857 / 0.9894
/ 0.9902), ahead of latent + transform + Dirichlet (0.9874) and all four but
the distance (0.9867); the MNIST choice `td+tdir` has 0.9765 on the same
models, the distance part alone 0.82. So `score_parts=["reconstruction",
"transform", "transform_dirichlet"]` is the natural-image configuration
(`NATURAL` in `protocols.sh`: `cifar-natural`, `paper-cifar-natural`). 518 s
of training and 522 s of scoring per model on one core (8,504 test images,
72 passes each); 2,049 s for the three models with `--jobs 2`, test runs
sharing the cores for part of it. Its header says `code: 113167a-dirty`:
`protocols.sh` was being edited as it started (the ablation uses none of it).
`bash benchmarks/protocols.sh caltech-natural` trains the same models with
`aedetect benchmark` and gives the same numbers to the last digit (0.98574 /
0.98935 / 0.99016, table below; 494 s of training and 509 s of scoring per
model, 1,998 s for the three; header `code: d4ff750-dirty`, as for
paper-cifar below).

Applied unchanged to one-class CIFAR-10 (`bash benchmarks/protocols.sh
cifar-natural`, 3 seeds): **81.44** (81.49 / 81.52 / 81.30, sd 0.10), target
80; GEOM's 86.0 not reached. Per class against the MNIST choice `td+tdir`
(74.1, seed 0, 30 epochs, constant rate) every class gains, most horse (74.7
to 88.4), dog (+13.2) and cat (+10.1), least deer (76.4 to 76.6); cat (69.2)
and bird (71.9) stay the weakest. 321 s of training and 63 s of scoring per class on one
core; a seed of ten classes in about 32 minutes with `--jobs 2` (the run took
4,986 s for 26 of its 30 models; the other 4 came from the stopped run, see
its header). The seed-0 number of the same parts in the CIFAR-10 ablation (30
epochs, constant rate) was 81.64 against 81.49 here: the 40 epochs and the
cosine rate chosen on MNIST bring nothing on CIFAR-10.

paper-cifar, dog normal (`bash benchmarks/protocols.sh paper-cifar-natural`,
3 seeds): mean **0.8224** (0.8255 / 0.8216 / 0.8201) against the paper's best
0.6177 (CAE) and 0.702 for reconstruction + latent + transform with 30
epochs. Every anomalous class is above the best of the paper's three models
in the mean over seeds, by 0.16 to 0.39 on eight of them (deer 0.730 against
0.546; 0.493 with the earlier parts), and on horse by only 0.0017 (0.6629 ± 0.0046
against 0.6612), less than the spread over seeds: seed 2's horse (0.656) is
below it. The paper's numbers are on the original CIFAR-10, ours on the JPEG
copy. 324 s of training and 62 s of scoring per model; 760 s for the three
models with `--jobs 2`. Its header says `code: d4ff750-dirty`: README.md,
make_readme.sh and a new `protocols.sh` entry were being edited, nothing the
run uses.

MD
result_sections one-class-cifar10-natural-cos-e40:cifar-natural paper-cifar-natural-cos-e40:paper-cifar-natural \
                caltech-airplanes-natural-cos-e40:caltech-natural
cat <<'MD'
### The nearest training images instead of one centre (`transform_knn`)

A fifth score part, after Bergman, Cohen & Hoshen's deep nearest-neighbour
detector: for each of the 72 transforms, the squared distance of a transformed
image's encoder features to its 2 nearest neighbours among the same (up to
1,000) training images under the same transform (those `transform_distance`
and `transform_dirichlet` are fitted on), averaged over the two and over the
transforms. Distances are taken in the whitened space of the 64 leading
principal axes of the covariance `transform_distance` uses, so the model keeps
up to 72 x 1,000 x 64 floats (18 MB). Why: one centre per transform suits a
class of one shape; a class of several (bags with and without handles,
sandals with different straps) may be better described by its nearest normal
images. This was seen on Fashion-MNIST's test labels (seed 0,
`ablation-fashion-mnist-geom4dir-e30`: the distance to the centre has Bag 85.2
and Sandal 86.4, the Dirichlet score 96.6 and 89.0), so Fashion-MNIST plays no
part in the choice. 2 neighbours and 64 axes were fixed before any run and
are not tuned.

Rule, fixed before the run and written down with it (commit 8911442): train
`geom_x4_knn` (the recommended training: `geom` x4, 40 epochs, cosine rate;
parts reconstruction, transform, `td`, `tdir`, `tk`) on MNIST seed 0
(`python benchmarks/one_class_ablation.py --dataset mnist --seeds 0 --configs
geom_x4_knn --epochs 40 --lr-schedule cosine --jobs 2 --name
ablation-mnist-geom4knn-e40-cosine`); its `td+tdir` row must equal the
recommended configuration's seed 0 (99.03, the same models). The MNIST-like
configuration becomes the subset containing `tk` with the highest mean if
that mean beats `td+tdir` by at least 0.05 points (more than the spread over
seeds, sd 0.04; the part costs 18 MB per model); otherwise it stays
`td+tdir` and `tk` is reported as measured.

Result (`ablation-mnist-geom4knn-e40-cosine` below, 3,105 s for the ten
classes): **`td+tdir+tk` 99.20 against 99.03**, so the MNIST-like
configuration is now `score_parts=["transform_distance",
"transform_dirichlet", "transform_knn"]` (`BEST` in `protocols.sh`). The
`td+tdir` row reproduces the recommended configuration's seed 0 to the last
digits (0.99771697814380 on digit 0), so the two rows compare the same
models. Said plainly: `tdir+tk` is second by 0.001 (99.198 against 99.200),
so the distance to the centre adds next to nothing once the neighbours are
there; the rule takes the highest. Every class gains (digit 7 most: 98.8
against 98.2; 5: +0.28; 3: +0.20; 6 least, +0.03), and adding `tk` raises
every one of the 15 subsets without it (the Dirichlet score alone from 95.83
to 99.20 with it; the distance to the centre alone 97.99, the neighbours
alone 99.13). Cost: 514 s of training per class as before (the part is
fitted after training) and 90 s of scoring against 87 s; 18 MB more per saved
model. The 3-seed run of `td+tdir` with 40 epochs (`mnist-best` until then)
was stopped after 4 of its 30 runs (digit 0 seeds 0-2, digit 1 seed 0; commit
803b352) and is superseded: `mnist-best`, `fashion-best` and `caltech-best`
now run the three parts and write to `*-best-knn-e40`.

### The nearest training images on natural images (Caltech-101 airplanes)

The natural-image configuration (`rec+tr+tdir`) was chosen before
`transform_knn` existed, so it was never measured there. Rule, fixed before
the run and written down with it (commit 79a4fd6): train
`geom_x4_knn` on Caltech-101 airplanes, its development set, 3 seeds
(`python benchmarks/one_class_ablation.py --dataset caltech-airplanes --seeds
0 1 2 --configs geom_x4_knn --epochs 40 --lr-schedule cosine --jobs 2 --name
ablation-caltech-airplanes-geom4knn-e40-cosine`); its `rec+tr+tdir` row must
equal the natural-image configuration's (98.84, the same models). If the
subset containing `tk` with the highest mean beats `rec+tr+tdir` by at least
0.2 points (more than its sd over seeds, 0.19), it becomes the candidate
natural-image configuration, recommended only after `cifar-natural` and
`paper-cifar-natural` are rerun with it unchanged; otherwise the
configuration stays and `tk` is reported as measured. Its `td+tdir+tk` row is
the MNIST-like configuration's Caltech number (what `caltech-best` would
measure), a configuration chosen elsewhere.

Result (`ablation-caltech-airplanes-geom4knn-e40-cosine` below, 2,032 s for
the three seeds): the 45 rows without `tk` equal those of
`ablation-caltech-airplanes-geom4dir-e40-cosine` to the last bit (the same
models), `rec+tr+tdir` among them (98.84). The best subset with `tk` is
`tr+tdir+tk`, **98.76** ± 0.05, below `rec+tr+tdir`, so the natural-image
configuration stays and nothing needs rerunning. On natural images the
neighbours, like the distance to the centre, are weak alone (`tk` 91.58, `td`
82.53). Unlike on MNIST, where `tk` raised every subset, here it raises 5 of
the 15 subsets without it, mostly weak ones (`tdir` 90.56 to 98.37, `td`
82.53 to 88.35) and `tr+tdir` (98.26 to 98.76), and lowers the other 10
(`rec+tr+tdir` by 0.17 to 98.67, `td+tdir` by 1.07). The MNIST-like
configuration (`td+tdir+tk`) has **96.58** ± 0.39 on Caltech-101 airplanes,
below the target of 0.98 and below the three-part
score chosen on MNIST before it (0.982), so `caltech-best` was not run: this
row is its number on the same training. `tk` adds no measurable time here
(508 s of training and 522 s of scoring per model; scoring is dominated by
the 72 encoder passes on 96x96 images).

MD
cat <<'MD'
### The same with 30 epochs (the recommended configuration until the 40-epoch rule)

`bash benchmarks/protocols.sh mnist-best-e30` (and `caltech-best-e30`).

MNIST, 3 seeds: **98.96** (99.02 / 98.95 / 98.92, sd 0.04) against 98.89 with
the constant rate (same seeds, below): 28 of the 30 class/seed AUROCs are at
or above the constant rate's (mean +0.07 points, digit 8 of seed 0 +0.30,
the lowest -0.04); seed 0 reproduces the cosine ablation's `td+tdir` row
(every class within 1.2e-16). Target 99: **not reached**, by 0.04; digits 8
(97.06 over the seeds) and 7 (97.92) hold the mean down. 377 s of training and
81 s of scoring per class on one core; the ten classes of a seed take 38
minutes with `--jobs 2` (the run was stopped and resumed over two sessions, so
its `wall_seconds` covers the last 8 runs only).

Caltech-101 airplanes held out, 3 seeds: 0.9752 ± 0.0008 (0.9763 / 0.9746 /
0.9746) against 0.9770 with the constant rate and 0.9822 for reconstruction +
latent + transform with the constant rate (same seeds and network): the cosine
rate does not help the distance parts on natural images, and the target of
0.98 stays met by the three-part score only. 371 s of training and 499 s of
scoring per model on one core; 1,742 s for the three models with `--jobs 2`
(the third alone; a low-priority test run used the idle core for 7 minutes).

MD
result_sections one-class-mnist-best-cos-e30:mnist-best-e30 caltech-airplanes-best-cos-e30:caltech-best-e30
cat <<'MD'
### The same with a constant learning rate (the recommended configuration until the cosine rate)

`bash benchmarks/protocols.sh mnist-best-constant` (and `caltech-best-constant`).

MNIST, 3 seeds: 98.89 (98.94 / 98.88 / 98.86, sd 0.03)
against 98.40 for reconstruction + latent + transform on the same training
(3 seeds, `ablation-mnist-geom4-e30-seeds012`); seed 0 reproduces the
ablation's `td+tdir` row to the last bit on every class. Target 99: not
reached (digits 8 at 96.8 and 7 at 97.7 hold the mean down). 384 s of
training and 81 s of scoring per class on one core; the 30 models took
7,031 s with `--jobs 2` (39 minutes per seed for the ten classes), the
machine to itself apart from a low-priority test run (about 1.5% of the CPU)
for 15 minutes.

Caltech-101 airplanes held out, 3 seeds: 0.9770 ± 0.0025
(0.9796 / 0.9736 / 0.9778) against 0.9822 ± 0.0017 for reconstruction +
latent + transform on the same training (`caltech-airplanes-geom4-e30`,
same seeds and options but the score parts): the distance parts cost
natural images here too, and the target of 0.98 is met by the three-part
score only. 366 s of training and 478 s of scoring per model on one core
(72 encoder passes over each of the 8,504 test images); 1,685 s for the three
models with `--jobs 2`, the machine to itself.

MD
result_sections one-class-mnist-best-e30:mnist-best-constant caltech-airplanes-best-e30:caltech-best-constant
cat <<'MD'
### Ablation (seed 0): each part's gain, same models

`python benchmarks/one_class_ablation.py --dataset DATASET --seeds 0 --configs ...`.
One model per configuration and class; every subset of its score parts is
evaluated from that same model (a subset's sum is exactly the score with
`score_parts` set to it). rec = reconstruction error, lat = latent Mahalanobis
distance, tr = transform cross-entropy, td = transform distance, tdir = transform Dirichlet
score, tk = transform nearest neighbours. Times per class (train, and scoring the
10,000 test images); the `plain`, `rotate` and `rotate_flip` runs used 2
threads, one run at a time, and were written to `/tmp/abl` first and copied
here (the command line says so); the `geom` runs are described above.
`--merge A.json B.json --name NAME` joins runs of the same configurations on
other seeds into one table.

MD
for f in ablation-mnist ablation-mnist-flip ablation-mnist-geom ablation-mnist-geom4-e30 ablation-mnist-geom4-e30-seeds012 \
         ablation-mnist-geom4-e15x2 ablation-mnist-geom4dist-e30 ablation-mnist-geom4dir-e30 \
         ablation-mnist-geom4dir-e30-cosine ablation-mnist-geom4dir-e40-cosine \
         ablation-fashion-mnist ablation-fashion-mnist-geom \
         ablation-fashion-mnist-geom4-e30 ablation-fashion-mnist-geom4dist-e30 ablation-fashion-mnist-geom4dir-e30 \
         ablation-cifar10 ablation-cifar10-geom ablation-cifar10-geom4 ablation-cifar10-geom4dist-e30-seed0 \
         ablation-cifar10-geom4dir-e30-seed0 ablation-caltech-airplanes-geom4dir-e40-cosine \
         ablation-mnist-geom4knn-e40-cosine ablation-caltech-airplanes-geom4knn-e40-cosine; do
  if [ -f results/$f.md ]; then
    python3 -c "import json; d = json.load(open('results/$f.json'))['provenance']; e = d['epochs']; m = d.get('members', 1); print('####', d['dataset'] + ':', ', '.join(d['configs']) + ('' if e == 'preset' else f', {e} epochs') + (f', ensembles of {m}' if m > 1 else '') + (', cosine learning rate' if d.get('lr_schedule', 'constant') == 'cosine' else '') + ', seed' + ('s ' if len(d['seeds']) > 1 else ' ') + ', '.join(map(str, d['seeds'])))"; echo
    head_of $f.md; echo; sed -n '/^| config/,$p' results/$f.md; echo
  fi
done
cat <<'MD'
## caltech-airplanes: the Caltech-101 notebook, done honestly

Airplanes normal, 96x96 RGB, the notebook's network (`caltech-cae`, 20 epochs);
20% of the airplanes are held out (split seed 0), the test set is those plus
every image of the other 101 folders. The rows marked `(leaky)` repeat the
notebook's own procedure (train on all airplanes, test on the same images) to
show what leakage does; do not use them as results. With the recommended
score options (`geom` x4, 30 epochs) the held-out AUROC is 0.982: see
"30 epochs instead of 10" above.

MD
head_of caltech-airplanes/results.md; echo; tables caltech-airplanes/results.md caltech
cat <<'MD'

## Machine sounds: synthetic clips (not real recordings)

`python benchmarks/audio_synthetic.py --seeds 2 3 4`. **Synthetic data**
(`aedetect.data.synthetic`): a 100 Hz hum with drifting harmonics and noise
pulsing with a rotation; anomalies are a whine (`tone`, 15-30% of the clip),
`clicks` (2 ms), a `pitch` shift of the whole clip (4% x strength) and
`knock`s (damped 300-600 Hz, ~90 ms); strength 1 is plainly audible, 0.1 barely.
Per seed, 60 normal 10 s clips train one `dcase-baseline` model (100 epochs,
6 clips held out whole for early stopping and thresholds); each kind and
strength is tested on the same 20 normal and 20 new anomalous clips. The
rule-based [`audio-anomaly`](https://pypi.org/project/audio-anomaly/) package
(numpy only, no learning) gets the same 60 training clips, concatenated, as its
known-good reference. The DCASE 2020 baseline's published numbers (ToyCar
80.09 / 67.22 AUC / pAUC %, ...) are on the DCASE development set, which is
not here: they are not comparable with these and not shown next to them.

Choices made before this run, on a development run with seed 1 (not
reported): the time-span statistic (the mean of a frame's 8 largest mel-band
errors; the mean over all 128 bands found 66% of strength-1 knocks, the top 8
94%, at similar false alarms). Training times here were measured while other
jobs shared the 2 cores.

What it shows: the autoencoder's clip scores beat the rule-based detector on
whines, clicks and pitch shifts at every strength and match it on knocks
(top-10% aggregation; a plain mean loses short events); the DCASE-style mean
is best for the whole-clip pitch shift. For *when*, the autoencoder finds as
many knock and whine events as `audio-anomaly` and far more clicks, but flags
about 0.4 spurious spans per normal 10 s clip against its 0.02: at the default
99.9th percentile of normal frames, about 0.3 of a clip's 309 frames are
expected above the line. Raise `span_percentile` for fewer.

MD
if [ -f results/audio_synthetic.md ]; then head_of audio_synthetic.md; echo; sed -n '/^\*\*/,$p' results/audio_synthetic.md;
else echo "_not measured yet: run \`python benchmarks/audio_synthetic.py\`_"; fi
cat <<'MD'

## Audio feature extraction speed

`python benchmarks/audio_features.py`: WAV file to log-mel spectrogram on one
core (threads pinned to 1), feature cache off, then through the cache.

MD
if [ -f results/audio_features.md ]; then head_of audio_features.md; echo; sed -n '/^\*\*/,$p' results/audio_features.md;
else echo "_not measured yet: run \`python benchmarks/audio_features.py\`_"; fi
cat <<'MD'

## Speed: training and scoring side by side, ONNX, streaming

`python benchmarks/speed.py`: aedetect against (a) the same network trained
the way the reference notebooks do it (float32 `TensorDataset`, shuffling
`DataLoader`, per-batch `.to(device)`, default threads) and (b) PyOD's
`AutoEncoder` (its own 64-32 network and defaults) on the same flattened data,
same epochs and batch size, one after the other on the same machine with
nothing else running; each configuration in its own process (peak RSS is its
own). Every implementation first runs one short untimed epoch (without it the
first process to touch a layer pays for oneDNN's set-up, which made an earlier
run of this table show 2x ratios that were warm-up, not speed). Ratios are
aedetect's throughput over the other's.

What it shows, against the targets of the speed issue (2x the notebook way
and 5x PyOD in training samples/s; 20,000 / 5,000 scored images/s): the conv
nets train 1.3x faster than the notebook way (channels-last memory layout,
measured 30-40% faster convolutions on this CPU) and score the 96x96 Caltech
net 2x faster (batches sized to stay in cache); the dense nets train at the
notebook's speed (a 784-400-20 MLP is matrix-multiply bound: no data pipeline
wins there) and PyOD trains faster than both, because its default network
(64-32) has 6x fewer weights; its AUROC is as good or better here. Dense scoring runs at
78,000 images/s (target 20,000), the MNIST conv net at 4,200 (5,400 in
onnxruntime; target 5,000). Streaming a 748 MB file keeps the scorer at
467 MB. ONNX scores match within 2e-7. No GPU was lent to the session that
measured this: CUDA and mixed-precision numbers are still to come.

MD
if [ -f results/speed.md ]; then head_of speed.md; echo; sed -n '/^\*\*/,$p' results/speed.md;
else echo "_not measured yet: run \`python benchmarks/speed.py\`_"; fi
} > README.md
