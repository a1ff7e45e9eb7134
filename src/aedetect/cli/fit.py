"""``aedetect fit``: train a detector on the normal part of a data set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from aedetect.cli.common import STRICT_HELP, check_out, parse_json_option, parse_size, user_errors
from aedetect.errors import InputError


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def fit(
    data: str = typer.Argument(None, help="Data folder or file (MNIST IDX folder, class folders of "
                               "images, train/ + test/ folders, .npy, .npz with X and optionally y, "
                               "X_test, y_test, class_names, builtin:digits) or a machine-sound folder "
                               "(DCASE, MIMII, normal/ + anomaly/, WAV files)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    normal: str = typer.Option(None, help="Normal class(es), by name or label, comma-separated. "
                               "Data without classes is all normal."),
    model: str = typer.Option(None, help="Model: dense_ae, conv_ae, vae, beta_vae, aae or dae "
                              "(default: the preset's, else dense_ae)."),
    preset: str = typer.Option(None, help="Named network and training settings: fast, balanced, "
                               "accurate, accurate-photo (points on the measured accuracy-cost front); "
                               "the reference networks paper-mnist, paper-cifar, caltech-cae, caltech-vae, "
                               "caltech-betavae, mnist-dense, homework-conv; audio: dcase-baseline (the "
                               "default for audio), homework-spectrogram-conv (see aedetect.presets)."),
    model_options: str = typer.Option(None, help='Model options as JSON, e.g. \'{"latent": 32}\'.'),
    epochs: int = typer.Option(None, min=1, help="Default: the preset's, else 20 (tables: 50)."),
    batch_size: int = typer.Option(None, min=1, help="Default: the preset's, else 64."),
    learning_rate: float = typer.Option(None, min=0.0, help="Default: the preset's, else 1e-3."),
    lr_schedule: str = typer.Option(None, help="constant, or cosine: the learning rate "
                                    "annealed each epoch to near zero in the last (default: the "
                                    "preset's, else constant)."),
    precision: str = typer.Option(None, help="float32, or bfloat16: the network's passes under "
                                  "bfloat16 autocast, faster on CPUs with AMX / AVX-512 BF16 and on "
                                  "GPUs (default: the preset's, else float32)."),
    validation_fraction: float = typer.Option(0.1, help="Share of the normal data held out for "
                                              "early stopping and the threshold."),
    threshold: str = typer.Option("percentile", help="percentile, mean_std, contamination, "
                                  "target_fpr or fixed."),
    threshold_param: float = typer.Option(None, help="The method's parameter (default: 95 for "
                                          "percentile, 2 for mean_std, ...)."),
    patience: int = typer.Option(None, min=1, help="Early stopping patience in epochs."),
    scaling: str = typer.Option("auto", help="Input scaling: auto (per column for (N, D) float "
                                "vectors, one range for images; standard for tables), global (one range), "
                                "column; tables: standard (mean / sd), robust (median / IQR) or minmax."),
    trim: float = typer.Option(0.0, help="Share of the training data that may be anomalies "
                                        "(unlabelled data): the worst-reconstructed share is left out of "
                                        "each epoch from the second on."),
    label_column: str = typer.Option(None, help="Tables: the column holding the labels (--normal names "
                                     "its normal values); without it every row is normal."),
    feature_columns: str = typer.Option(None, help="Tables: the columns to use, comma-separated "
                                        "(default: all but the label column)."),
    drop_columns: str = typer.Option(None, help="Tables: columns to leave out, comma-separated."),
    impute: str = typer.Option(None, help="Tables: 'median' fills missing values with the training "
                               "medians (default: missing values are refused)."),
    test_fraction: float = typer.Option(0.2, help="Held out for testing when the data has no "
                                        "official test split."),
    image_size: str = typer.Option(None, help="Resize images to N or HxW (default: the first "
                                   "image's size, or 96 when it is larger than 128)."),
    color: str = typer.Option(None, help="rgb or grey (default: grey only if sampled images are all grey)."),
    seed: int = typer.Option(0, help="Seed of the validation split, initial weights and batch order."),
    split_seed: int = typer.Option(0, help="Seed of the held-out test split (data without an official "
                                   "test split); keep it fixed to compare models on one test set."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    checkpoint_every: int = typer.Option(5, min=0, help="Save the training state every N epochs "
                                         "(to OUT.checkpoint/; 0: never)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted `fit --out OUT` "
                                "from its last checkpoint (give only --out)."),
    features: str = typer.Option(None, help='Audio: log-mel options as JSON over the preset\'s, e.g. '
                                 '\'{"n_mels": 64}\'; "channel": N or "mean" for multi-channel files '
                                 '(default 0); see aedetect.data.audio.AudioFeatures.'),
    aggregate: str = typer.Option("mean", help="Audio: clip score from frame errors: mean, max or topk."),
    top_k: float = typer.Option(0.1, help="Audio: share of frames averaged by --aggregate topk."),
    distributed: bool = typer.Option(False, "--distributed", help="Data-parallel training over the "
                                     "processes torchrun starts (gloo on CPU, NCCL on GPUs); rank 0 "
                                     "alone writes the model."),
) -> None:
    """Train a detector on normal data and save it to a model folder."""
    from aedetect.data.audio_layouts import audio_layout
    from aedetect.data.datasets import open_dataset
    from aedetect.data.inspection import inspection_layout
    from aedetect.data.tables import is_table
    from aedetect.detector import AutoencoderDetector
    from aedetect.distributed import is_main_process, start_distributed, stop_distributed
    from aedetect.files import write_json
    from aedetect.fitting import checkpoint_dir, fit_audio, fit_inspection, fit_on_dataset, fit_table
    from aedetect.presets import preset_features, preset_params
    from aedetect.training import TrainingInterrupted

    with user_errors():
        check_out(out, folder=True)
        options = parse_json_option("--model-options", model_options)
        audio_options = parse_json_option("--features", features)
        audio = data is not None and audio_layout(data) is not None
        table = data is not None and is_table(data)
        if audio and preset is None and model is None:
            preset = "dcase-baseline"
        given = {k: v for k, v in dict(epochs=epochs, batch_size=batch_size,
                                       learning_rate=learning_rate).items() if v is not None}
        if preset is not None:
            params = preset_params(preset, model, model_options=options, **given)
        else:
            params = dict(model=model or "dense_ae", model_options=options,
                          **{"epochs": 50 if table else 20, "batch_size": 64, "learning_rate": 1e-3,
                             **given})
        table_scaling = "standard" if scaling == "auto" else scaling
        if table:
            scaling = "none"  # the table encoder scales each column
        params.update(lr_schedule=lr_schedule or params.get("lr_schedule", "constant"),
                      precision=precision or params.get("precision", "float32"),
                      validation_fraction=validation_fraction, threshold=threshold,
                      threshold_param=threshold_param, patience=patience, scaling=scaling,
                      trim=trim, device=device,
                      random_state=seed, verbose=0 if quiet else 1)
        run = {"data": data, "normal": normal, "params": params, "test_fraction": test_fraction,
               "split_seed": split_seed, "image_size": parse_size(image_size), "color": color,
               "strict": strict}
        if table:
            run.update(table=True, label_column=label_column, feature_columns=_names(feature_columns),
                       drop_columns=_names(drop_columns), table_scaling=table_scaling, impute=impute)
        if audio:
            run.update(audio=True, aggregate=aggregate, top_k=top_k,
                       features={**((preset and preset_features(preset)) or {}), **(audio_options or {})})
        ck = checkpoint_dir(out)
        if resume:
            if not (ck / "fit.json").is_file():
                raise InputError(f"nothing to resume: {ck} holds no checkpoint of `aedetect fit --out {out}`")
            run = json.loads((ck / "fit.json").read_text())
            run["params"]["verbose"] = 0 if quiet else 1
        elif data is None:
            raise InputError("give the DATA to fit on (or --resume with --out of an interrupted fit)")
        AutoencoderDetector(**run["params"]).check_params()  # before reading any data
        if distributed:
            run["params"]["device"] = start_distributed(run["params"]["device"])
        inspection = not run.get("audio") and not run.get("table") and inspection_layout(run["data"])
        if not run.get("audio") and not run.get("table") and not inspection:
            dataset = open_dataset(run["data"], image_size=run["image_size"], color=run["color"],
                                   strict=run["strict"])
        if checkpoint_every and not resume and is_main_process():
            write_json(ck / "fit.json", run)
        try:
            if inspection:
                fit_inspection(run["data"], run["params"], image_size=run["image_size"], color=run["color"],
                               test_fraction=run["test_fraction"], split_seed=run["split_seed"], out=out,
                               checkpoint_every=checkpoint_every, resume=resume)
            elif run.get("table"):
                fit_table(run["data"], run["params"], label_column=run["label_column"], normal=run["normal"],
                          feature_columns=run["feature_columns"], drop_columns=run["drop_columns"],
                          scaling=run["table_scaling"], impute=run["impute"],
                          test_fraction=run["test_fraction"], split_seed=run["split_seed"], out=out,
                          checkpoint_every=checkpoint_every, resume=resume)
            elif run.get("audio"):
                fit_audio(run["data"], run["params"], out, features=run["features"],
                          aggregate=run["aggregate"], top_k=run["top_k"], test_fraction=run["test_fraction"],
                          split_seed=run["split_seed"], strict=run["strict"],
                          checkpoint_dir=ck if checkpoint_every or resume else None,
                          checkpoint_every=checkpoint_every, resume=resume)
            else:
                fit_on_dataset(dataset, run["normal"], run["params"], test_fraction=run["test_fraction"],
                               split_seed=run["split_seed"], out=out, checkpoint_every=checkpoint_every,
                               resume=resume)
        except TrainingInterrupted as stop:
            kept = (f"the checkpoint of epoch {stop.epoch} is kept in {ck}: continue with "
                    f"`aedetect fit --resume --out {out}`") if stop.epoch else "no checkpoint was saved yet"
            print(f"aedetect: interrupted; {kept}", file=sys.stderr)
            raise typer.Exit(130) from None
        finally:
            if distributed:
                stop_distributed()
