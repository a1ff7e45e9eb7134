#!/usr/bin/env bash
# The protocol benchmarks of benchmarks/README.md, one after the other, on the shared data.
# Each writes benchmarks/results/<name>/results.{md,json} (and report.html, not committed).
# Needs PyOD for the --pyod rows: pip install -e ".[bench]". Fashion-MNIST: apt-get install dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${AEDETECT_DATA:-../shared/data}
# Fashion-MNIST: where the Debian package dataset-fashion-mnist puts it
FASHION=${AEDETECT_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
R=benchmarks/results
# RESUME=--resume goes on with a stopped run (the runs it finished are in OUT/runs/)
run() { .venv/bin/aedetect benchmark "$@" --data "${RUN_DATA:-$DATA}" --quiet ${RESUME:-}; }
# the Fashion-MNIST entries read the Debian package's folder
fashion() { RUN_DATA=$FASHION run "$@"; }
SSL='{"transforms": "rotate_flip", "score_parts": ["reconstruction", "latent", "transform"]}'
GEOM4='{"transforms": "geom", "transform_draws": 4, "score_parts": ["reconstruction", "latent", "transform"]}'
# the MNIST-like configuration: the parts chosen on MNIST seed 0 (ablation-mnist-geom4knn-e40-cosine)
BEST='{"transforms": "geom", "transform_draws": 4, "score_parts": ["transform_distance", "transform_dirichlet", "transform_knn"]}'
# its parts before transform_knn (ablation-mnist-geom4dir-e30): the earlier runs below
TDDIR='{"transforms": "geom", "transform_draws": 4, "score_parts": ["transform_distance", "transform_dirichlet"]}'
COS="--lr-schedule cosine"  # adopted by the rule of ablation-mnist-geom4dir-e30-cosine (MNIST seed 0)
# natural colour photographs: the parts chosen on Caltech-101 airplanes (ablation-caltech-airplanes-geom4dir-e40-cosine)
NATURAL='{"transforms": "geom", "transform_draws": 4, "score_parts": ["reconstruction", "transform", "transform_dirichlet"]}'
case "${1:-all}" in
  all|paper-mnist) run paper-mnist --models cae,vae,aae --seeds 3 --pyod --out $R/paper-mnist ;;&
  all|caltech) run caltech-airplanes --models cae --seeds 3 --pyod --out $R/caltech-airplanes ;;&
  all|fashion) fashion one-class --dataset fashion-mnist --models cae --seeds 3 --epochs 10 --pyod \
                 --out $R/one-class-fashion-mnist ;;&
  all|fashion-dense) fashion one-class --dataset fashion-mnist --preset mnist-dense --models ae --seeds 3 \
                       --epochs 10 --out $R/one-class-fashion-mnist-dense ;;&
  all|paper-cifar) run paper-cifar --models cae,vae,aae --seeds 3 --pyod --out $R/paper-cifar ;;&
  all|mnist) run one-class --dataset mnist --models cae --seeds 3 --epochs 10 --pyod --out $R/one-class-mnist ;;&
  all|cifar) run one-class --dataset cifar10 --models cae --seeds 3 --epochs 10 --pyod --out $R/one-class-cifar10 ;;&
  # the score options chosen on MNIST (benchmarks/one_class_ablation.py), applied unchanged
  all|mnist-ssl) run one-class --dataset mnist --models cae --seeds 3 --epochs 10 --model-options "$SSL" \
                   --out $R/one-class-mnist-ssl ;;&
  all|fashion-ssl) fashion one-class --dataset fashion-mnist --models cae --seeds 3 --epochs 10 --model-options "$SSL" \
                     --out $R/one-class-fashion-mnist-ssl ;;&
  all|cifar-ssl) run one-class --dataset cifar10 --models cae --seeds 3 --epochs 10 --model-options "$SSL" \
                   --out $R/one-class-cifar10-ssl ;;&
  all|caltech-ssl) run caltech-airplanes --models cae --seeds 3 --model-options "$SSL" \
                     --out $R/caltech-airplanes-ssl ;;&
  all|paper-cifar-ssl) run paper-cifar --models cae --seeds 3 --model-options "$SSL" --out $R/paper-cifar-ssl ;;&
  # Golan & El-Yaniv's 72 transforms, 4 draws per image (chosen on MNIST seed 0: one_class_ablation.py),
  # two models at a time on the 2 cores
  all|cifar-geom) run one-class --dataset cifar10 --models cae --seeds 3 --epochs 10 --model-options "$GEOM4" \
                    --jobs 2 --out $R/one-class-cifar10-geom4 ;;&
  all|paper-cifar-geom) run paper-cifar --models cae --seeds 3 --model-options "$GEOM4" --jobs 2 \
                          --out $R/paper-cifar-geom4 ;;&
  # the same, 30 epochs: the validation loss of normal images was still falling at 10
  all|cifar-geom-e30) run one-class --dataset cifar10 --models cae --seeds 3 --epochs 30 --model-options "$GEOM4" \
                        --jobs 2 --out $R/one-class-cifar10-geom4-e30 ;;&
  all|paper-cifar-geom-e30) run paper-cifar --models cae --seeds 3 --epochs 30 --model-options "$GEOM4" \
                              --out $R/paper-cifar-geom4-e30 ;;&
  all|caltech-geom-e30) run caltech-airplanes --classes airplanes --models cae --seeds 3 --epochs 30 \
                          --model-options "$GEOM4" --jobs 2 --out $R/caltech-airplanes-geom4-e30 ;;&
  # the recommended configuration before the cosine learning rate (constant rate)
  all|mnist-best-constant) run one-class --dataset mnist --models cae --seeds 3 --epochs 30 --model-options "$TDDIR" \
                             --jobs 2 --out $R/one-class-mnist-best-e30 ;;&
  all|caltech-best-constant) run caltech-airplanes --classes airplanes --models cae --seeds 3 --epochs 30 \
                               --model-options "$TDDIR" --jobs 2 --out $R/caltech-airplanes-best-e30 ;;&
  # the recommended configuration with 30 epochs (before ablation-mnist-geom4dir-e40-cosine)
  all|mnist-best-e30) run one-class --dataset mnist --models cae --seeds 3 --epochs 30 --model-options "$TDDIR" $COS \
                        --jobs 2 --out $R/one-class-mnist-best-cos-e30 ;;&
  all|caltech-best-e30) run caltech-airplanes --classes airplanes --models cae --seeds 3 --epochs 30 \
                          --model-options "$TDDIR" $COS --jobs 2 --out $R/caltech-airplanes-best-cos-e30 ;;&
  # the recommended configuration: geom x4, the cosine learning rate (ablation-mnist-geom4dir-e30-cosine),
  # 40 epochs (ablation-mnist-geom4dir-e40-cosine), the three parts of BEST (ablation-mnist-geom4knn-e40-cosine)
  all|mnist-best) run one-class --dataset mnist --models cae --seeds 3 --epochs 40 --model-options "$BEST" $COS \
                    --jobs 2 --out $R/one-class-mnist-best-knn-e40 ;;&
  all|fashion-best) fashion one-class --dataset fashion-mnist --models cae --seeds 3 --epochs 40 \
                      --model-options "$BEST" $COS --jobs 2 --out $R/one-class-fashion-mnist-best-knn-e40 ;;&
  all|caltech-best) run caltech-airplanes --classes airplanes --models cae --seeds 3 --epochs 40 \
                      --model-options "$BEST" $COS --jobs 2 --out $R/caltech-airplanes-best-knn-e40 ;;&
  # the natural-image configuration, applied unchanged to CIFAR-10 (no CIFAR-10 number chose it)
  all|cifar-natural) run one-class --dataset cifar10 --models cae --seeds 3 --epochs 40 --model-options "$NATURAL" \
                       $COS --jobs 2 --out $R/one-class-cifar10-natural-cos-e40 ;;&
  all|paper-cifar-natural) run paper-cifar --models cae --seeds 3 --epochs 40 --model-options "$NATURAL" $COS \
                             --jobs 2 --out $R/paper-cifar-natural-cos-e40 ;;&
  # ADBench's 33 tables, novelty and unsupervised, the table model beside PyOD's detectors (needs .[bench])
  all|tabular) run tabular --seeds 3 --jobs 2 --out $R/tabular ;;&
  # inspection: tire, magnetic tile, screw; the mean-image floor and three localisation configurations
  all|inspection) run inspection --seeds 3 --jobs 2 --out $R/inspection ;;&
  # its development set: reproduces the winning row of ablation-caltech-airplanes-geom4dir-e40-cosine
  all|caltech-natural) run caltech-airplanes --classes airplanes --models cae --seeds 3 --epochs 40 \
                         --model-options "$NATURAL" $COS --jobs 2 --out $R/caltech-airplanes-natural-cos-e40 ;;
esac
