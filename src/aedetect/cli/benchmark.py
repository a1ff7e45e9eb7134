"""``aedetect benchmark``: run an evaluation protocol and write results.json, results.md
and report.html."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer

from aedetect.cli.common import check_out, info, parse_json_option, user_errors
from aedetect.errors import InputError


def benchmark(
    protocol: str = typer.Argument(..., help="paper-mnist, paper-cifar, one-class, caltech-airplanes, "
                                   "tabular (ADBench tables; --models from aedetect, iforest, ecod, knn, "
                                   "knn-std, pyod-ae, pyod-vae, deepsvdd; --classes picks tables) or "
                                   "inspection (--models from mean-image, ae-l2, ae-ssim, dae-anomaly; "
                                   "--classes from tire, magnetic-tile, screw; --image-size)."),
    data: Path = typer.Option(Path("../shared/data"), help="The data folder (or the data set's own "
                              "folder): mnist/, fashion-mnist/, cifar10-jpeg/ or cifar-10-batches-py/, "
                              "caltech101/."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for results.json, results.md, report.html."),
    models: str = typer.Option("cae,vae,aae", help="Comma-separated: cae, vae, beta_vae, aae, dae, "
                               "dense_ae, and pyod-ae / pyod-vae (PyOD, if installed)."),
    seeds: int = typer.Option(3, min=1, help="Seeds 0..N-1 per model."),
    epochs: int = typer.Option(None, min=1, help="Default: the protocol's preset."),
    dataset: str = typer.Option("mnist", help="one-class only: mnist, fashion-mnist or cifar10."),
    classes: str = typer.Option(None, help="one-class: normal classes to run (default: all); "
                                "caltech-airplanes: 'airplanes' leaves out the leaky contrast task."),
    pyod: bool = typer.Option(False, "--pyod", help="Add PyOD's AutoEncoder and VAE (same splits, run)."),
    limit: int = typer.Option(None, min=1, help="At most this many samples per class and split "
                              "(a quick check, not a result)."),
    preset: str = typer.Option(None, help="Network preset instead of the protocol's (e.g. mnist-dense "
                               "with --models ae for a dense autoencoder)."),
    model_options: str = typer.Option(None, help="JSON merged into the preset's model options, e.g. "
                                      "'{\"transforms\": \"rotate\", \"score_parts\": "
                                      "[\"reconstruction\", \"transform\"]}' (see benchmarks/README.md)."),
    lr_schedule: str = typer.Option("constant", help="constant, or cosine: the learning rate annealed "
                                    "each epoch to near zero in the last (see `aedetect fit`)."),
    jobs: int = typer.Option(1, min=1, help="Models trained at a time, each in its own process with "
                             "an equal share of the CPU threads (same rows as one job)."),
    resume: bool = typer.Option(False, "--resume", help="Go on with a stopped run of the same command: "
                                "the runs it finished (kept in OUT/runs/ until the results are written) "
                                "are loaded, the others trained."),
    image_size: int = typer.Option(128, min=16, max=1024, help="inspection: images are resized to this "
                                   "square size."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Train and test every model and seed on the protocol's splits; compare with published numbers."""
    from rich.console import Console
    from rich.markdown import Markdown

    from aedetect.benchmarking.protocols import protocol_tasks
    from aedetect.benchmarking.report import benchmark_report, markdown, result_tables
    from aedetect.benchmarking.runner import provenance, run_tasks, summarise, threads_per_job
    from aedetect.console import progress
    from aedetect.files import write_json, write_text
    from aedetect.training import LR_SCHEDULES

    if protocol in ("tabular", "inspection"):
        with user_errors():
            check_out(out, folder=True)
            if protocol == "tabular":
                _tabular(data, out, models, seeds, epochs, classes, jobs, resume, quiet)
            else:
                _inspection(data, out, models, seeds, epochs, classes, image_size, jobs, resume, quiet)
        return
    with user_errors():
        check_out(out, folder=True)
        names = [m.strip() for m in models.split(",") if m.strip()]
        names += ["pyod-ae", "pyod-vae"] if pyod else []
        tasks, name, protocol_preset = protocol_tasks(protocol, data, dataset=dataset, limit=limit,
                                                      classes=classes.split(",") if classes else None)
        if preset is not None:
            from aedetect.presets import preset_params

            preset_params(preset)  # an unknown name is refused here, before any training
        preset = preset or protocol_preset
        if lr_schedule not in LR_SCHEDULES:
            raise InputError(f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}; got {lr_schedule!r}")
        options = parse_json_option("--model-options", model_options)
        store = out / "runs"
        stored = list(store.glob("*.json")) if store.is_dir() else []
        if stored and not resume:
            raise InputError(f"{store} holds {len(stored)} finished runs of a stopped benchmark: add "
                             "--resume (with the same options) to go on with it, or delete the folder "
                             "to start afresh")
        meta = {**provenance(list(range(seeds))), "protocol": protocol, "data": f"{name} at {data}",
                "preset": preset, "epochs": epochs or "preset", "limit": limit,
                "model_options": options or {}, "lr_schedule": lr_schedule, "jobs": jobs}
        if jobs > 1:
            meta["threads_per_job"] = threads_per_job(jobs)
        total = len(tasks) * len(names) * seeds  # runs: one model trained and scored
        start = time.perf_counter()
        with progress(0 if quiet else 1) as bar:
            task = bar.add_task(f"{protocol}", total=total, info="")
            fixed = (0.02,) if protocol == "caltech-airplanes" else ()
            rows = run_tasks(protocol, tasks, names, list(range(seeds)), preset=preset, epochs=epochs,
                             dataset=name, fixed_thresholds=fixed, model_options=options,
                             lr_schedule=lr_schedule, jobs=jobs,
                             store=store,
                             on_run=lambda t, m, s: bar.update(task, advance=1, info=f"{t} {m} seed {s}"))
        # training and scoring, of the runs this command made
        meta["wall_seconds"] = round(time.perf_counter() - start, 1)
        resumed = sorted({r["resumed_from"] for r in rows if "resumed_from" in r})
        if resumed:
            runs = len({(r["normal"], r["model"], r["seed"]) for r in rows if "resumed_from" in r})
            meta["resumed"] = (f"{runs} of {total} runs from a stopped run "
                               f"(code {', '.join(resumed)}); wall_seconds counts only the others")
        summary = summarise(rows)
        tables = result_tables(protocol, summary, name)
        text = markdown(tables)
        write_json(out / "results.json", {"provenance": meta, "rows": rows, "summary": summary})
        head = "\n".join(f"- {k}: {v}" for k, v in meta.items())
        write_text(out / "results.md", f"# {protocol}\n\n{head}\n\n{text}")
        benchmark_report(protocol, summary, tables, out / "report.html", dataset=name, provenance=meta)
        shutil.rmtree(store, ignore_errors=True)  # every run is in results.json now
    Console().print(Markdown(text))
    info(f"wrote {out}/results.json, results.md, report.html")


def _tabular(data: Path, out: Path, models: str, seeds: int, epochs: int | None, classes: str | None,
             jobs: int, resume: bool, quiet: bool) -> None:
    """``aedetect benchmark tabular``: aedetect's table model and PyOD's detectors on ADBench."""
    from aedetect.benchmarking import tabular
    from aedetect.benchmarking.runner import provenance
    from aedetect.console import progress
    from aedetect.files import write_json, write_text

    folder = data / "adbench-classical" if (data / "adbench-classical").is_dir() else data
    methods = tabular.METHODS if models == "cae,vae,aae" else [m.strip() for m in models.split(",")]
    unknown = sorted(set(methods) - set(tabular.METHODS))
    if unknown:
        raise InputError(f"unknown tabular method(s) {unknown}; choose from {', '.join(tabular.METHODS)}")
    store = out / "runs"
    if store.is_dir() and any(store.iterdir()) and not resume:
        raise InputError(f"{store} holds finished runs of a stopped benchmark: add --resume to go on")
    sets = classes.split(",") if classes else None
    tables = len(sets) if sets else len(list(folder.glob("*.npz")))
    n = tables * len(tabular.PROTOCOLS) * len(methods) * seeds
    with progress(0 if quiet else 1) as bar:
        task = bar.add_task("tabular", total=n, info="")
        rows = tabular.run(folder, sets=sets, methods=methods, seeds=range(seeds), jobs=jobs, store=store,
                           epochs=epochs,
                           on_run=lambda *unit: bar.update(task, advance=1, info=Path(unit[0]).stem))
    summary = tabular.summarise(rows)
    meta = {**provenance(list(range(seeds))), "protocol": "tabular", "data": str(folder), "jobs": jobs,
            "max_rows": tabular.MAX_ROWS, "epochs": epochs or 50}
    write_json(out / "results.json", {"provenance": meta, "summary": summary, "rows": rows})
    head = "\n".join(f"- {k}: {v}" for k, v in meta.items())
    write_text(out / "results.md", f"# tabular\n\n{head}\n\n{tabular.markdown(summary)}\n")
    import shutil

    shutil.rmtree(store, ignore_errors=True)
    print(tabular.markdown(summary))


def _inspection(data: Path, out: Path, models: str, seeds: int, epochs: int | None, classes: str | None,
                size: int, jobs: int, resume: bool, quiet: bool) -> None:
    """``aedetect benchmark inspection``: maps of image models on the inspection data sets."""
    from aedetect.benchmarking import inspection
    from aedetect.benchmarking.runner import provenance
    from aedetect.console import progress
    from aedetect.files import write_json, write_text

    configs = list(inspection.CONFIGS) if models == "cae,vae,aae" else [m.strip() for m in models.split(",")]
    sets = classes.split(",") if classes else list(inspection.SETS)
    store = out / "runs"
    if store.is_dir() and any(store.iterdir()) and not resume:
        raise InputError(f"{store} holds finished runs of a stopped benchmark: add --resume to go on")
    n = sum(1 if inspection.CONFIGS.get(c, ("x",))[0] is None else seeds for c in configs) * len(sets)
    with progress(0 if quiet else 1) as bar:
        task = bar.add_task("inspection", total=n, info="")
        rows = inspection.run(data, sets=sets, configs=configs, seeds=tuple(range(seeds)), size=size,
                              epochs=epochs or 30, jobs=jobs, store=store,
                              on_run=lambda *unit: bar.update(task, advance=1, info=" ".join(map(str, unit))))
    summary = inspection.summarise(rows)
    meta = {**provenance(list(range(seeds))), "protocol": "inspection", "data": str(data), "jobs": jobs,
            "image_size": size, "epochs": epochs or 30, "map_sigma": inspection.SIGMA}
    write_json(out / "results.json", {"provenance": meta, "summary": summary, "rows": rows})
    head = "\n".join(f"- {k}: {v}" for k, v in meta.items())
    write_text(out / "results.md", f"# inspection\n\n{head}\n\n{inspection.markdown(summary)}\n")
    import shutil

    shutil.rmtree(store, ignore_errors=True)
    print(inspection.markdown(summary))
