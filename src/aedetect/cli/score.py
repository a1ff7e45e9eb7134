"""``aedetect score``: anomaly scores and flags for every sample of a data set."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import STRICT_HELP, check_out, info, user_errors
from aedetect.files import write_csv

HEADER = ["part", "index", "file", "class", "score", "flagged"]


def _merge_parts(out: Path, parts: list[Path]) -> None:
    """Concatenate the shards' CSV files (one header) into ``out``, then remove them."""
    import shutil

    from aedetect.files import atomic_write

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as merged:
            for k, part in enumerate(parts):
                with open(part, newline="") as f:
                    header = f.readline()
                    if k == 0:
                        merged.write(header)
                    shutil.copyfileobj(f, merged)

    atomic_write(out, write)
    for part in parts:
        part.unlink()


def _score_audio(model_dir: Path, data: str, out: Path, *, frames: bool, strict: bool) -> None:
    """Every clip of ``data`` scored by the audio model: the CSV, and with ``frames`` the frame
    errors and timelines; the flagged spans printed."""
    from aedetect.audio_detector import AudioDetector
    from aedetect.audio_evaluation import format_spans, score_folder
    from aedetect.report.outputs import write_clip_scores

    detector = AudioDetector.load(model_dir)
    scored = score_folder(detector, data, strict)
    write_clip_scores(detector, scored, out, frames=frames)
    if frames:
        for n, s, sp in zip(scored.names, scored.scores, scored.spans):
            if sp:
                print(f"{n}\tscore {s:.5g}\t{'FLAGGED' if s > detector.threshold_ else 'normal'}\t"
                      f"spans (s): {format_spans(sp).replace(';', ', ')}")
    flagged = int((scored.scores > detector.threshold_).sum())
    info(f"scored {len(scored.clips)} clips; {flagged} above the threshold {detector.threshold_:.5g}; "
         f"wrote {out}")


def _score_table(model_dir: Path, data: str, out: Path) -> None:
    """Every row of the table ``data``, streamed in chunks: score, flag, top contributing columns."""
    from aedetect.table_detector import TableDetector
    from aedetect.table_evaluation import score_header, score_rows

    detector = TableDetector.load(model_dir)
    count = {"rows": 0, "flagged": 0}

    def rows():
        for row in score_rows(detector, data):
            count["rows"] += 1
            count["flagged"] += row[2]
            yield row

    write_csv(out, score_header(), rows())
    if detector.encoder_.ignored_:
        info(f"columns not used by the model, ignored: {detector.encoder_.ignored_[:10]}")
    info(f"scored {count['rows']} rows; {count['flagged']} above the threshold {detector.threshold_:.5g}; "
         f"wrote {out} (with each row's top 3 columns and their shares of its score)")


def _check_maps(folder: Path, detector, distributed: bool) -> None:
    from aedetect.errors import InputError

    if distributed:
        raise InputError("--maps runs in one process: leave out --distributed")
    if len(detector.input_shape_) < 2:
        raise InputError("--maps needs an image model; this one takes vectors")
    from aedetect.map_images import check_new_folder

    check_new_folder(folder)


def _mapped_scores(detector, pictures, X, lo: int, hi: int, names: list[str]):
    """``(start, scores, map maxima)`` of X[lo:hi] batch by batch, as ``iter_anomaly_score``; with
    ``pictures`` (:class:`~aedetect.map_images.MapPictures`) each batch's maps are drawn from the same
    pass and their maxima (an image score from the map) come along, else None."""
    import numpy as np

    from aedetect.map_images import BATCH
    from aedetect.maps import image_scores, stored_settings

    if pictures is None:
        for start, scores in detector.iter_anomaly_score(X, lo, hi):
            yield start, scores, None
        return
    settings = stored_settings(detector)
    for start in range(lo, hi, BATCH):
        images = np.asarray(X[start:min(start + BATCH, hi)])
        scores, maps = detector.anomaly_map(images, **settings, return_scores=True)
        pictures.add(images, maps, names[start:start + len(images)])
        yield start, scores, image_scores(maps, "max")


def _picture_names(parts) -> dict[str, list[str]]:
    """Each part's picture names: ``PART-INDEX-FILESTEM``, in a folder per part when there are several."""
    out = {}
    for name, X, _, files in parts:
        folder = f"{name}/" if len(parts) > 1 else ""
        out[name] = [f"{folder}{name}-{i:05d}-{Path(f).stem}" if files else f"{folder}{name}-{i:05d}"
                     for i, f in enumerate(files or [None] * len(X))]
    return out


def score(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    data: str = typer.Argument(..., help="Data to score (as for `aedetect fit`)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
    part: str = typer.Option("all", help="all, train or test (where the data has a test split)."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    frames: bool = typer.Option(False, "--frames", help="Audio: also write OUT.frames.csv (error per "
                                "frame), OUT.timelines.png, and print the flagged time spans."),
    distributed: bool = typer.Option(False, "--distributed", help="Share the rows among the processes "
                                     "torchrun starts; each writes its part, rank 0 merges them."),
    maps: Path = typer.Option(None, "--maps", help="Image models: a new folder for each image's heat map, "
                              "overlay and (with the map threshold fit stores) binary mask, as PNG files; "
                              "the CSV gains map_max, the map's maximum: an image score from the map."),
) -> None:
    """Write one row per sample: part, index, file, class, score, flagged (score > threshold),
    and with --maps map_max.
    Scores are written batch by batch, so a .npy file larger than memory streams through.
    For an audio model: one row per clip, with its flagged time spans."""
    from contextlib import nullcontext

    from aedetect.data.model_data import open_for_model
    from aedetect.detector import AutoencoderDetector
    from aedetect.distributed import rank_and_world, start_distributed, stop_distributed
    from aedetect.errors import InputError
    from aedetect.folders import folder_kind
    from aedetect.map_images import MapPictures

    try:
        kind = folder_kind(model_dir)
    except InputError:  # not a model folder: the array path below says so, in one line
        kind = "array"
    if kind in ("audio", "table"):
        with user_errors():
            check_out(out, folder=False)
            if kind == "audio":
                _score_audio(model_dir, data, out, frames=frames, strict=strict)
            else:
                _score_table(model_dir, data, out)
        return
    with user_errors():
        check_out(out, folder=False)
        if part not in ("all", "train", "test"):
            raise InputError(f"--part must be all, train or test; got {part!r}")
        device = start_distributed("auto") if distributed else "auto"
        rank, world = rank_and_world()
        try:
            detector = AutoencoderDetector.load(model_dir, device=device)
            dataset = open_for_model(data, detector.metadata_.get("data", {}), strict)
            parts = [("train", dataset.X_train, dataset.y_train, dataset.files_train),
                     ("test", dataset.X_test, dataset.y_test, dataset.files_test)]
            parts = [p for p in parts if p[1] is not None and part in ("all", p[0])]
            if not parts:
                raise InputError(f"{dataset.name} has no {part} part")
            count = {"rows": 0, "flagged": 0}
            if maps is not None:
                _check_maps(maps, detector, distributed)
            stored = detector.metadata_.get("maps", {})
            pictures = MapPictures(maps, stored.get("threshold")) if maps is not None else nullcontext()
            names = _picture_names(parts) if maps is not None else {}

            def rows():  # scored batch by batch while the file is written: memory stays at one batch
                for name, X, y, files in parts:
                    lo, hi = rank * len(X) // world, (rank + 1) * len(X) // world  # this process's share
                    for start, scores, peaks in _mapped_scores(detector, drawing, X, lo, hi, names.get(name)):
                        count["rows"] += len(scores)
                        count["flagged"] += int((scores > detector.threshold_).sum())
                        for i, s in enumerate(scores, start):
                            row = (name, i, files[i] if files else "",
                                   dataset.class_names[y[i]] if y is not None else "",
                                   f"{s:.8g}", int(s > detector.threshold_))
                            yield row if peaks is None else (*row, f"{peaks[i - start]:.8g}")

            def shard(r: int) -> Path:
                return out.with_name(f"{out.name}.part-{r}-of-{world}") if world > 1 else out

            with pictures as drawing:
                write_csv(shard(rank), HEADER + (["map_max"] if maps is not None else []), rows())
            if maps is not None:
                note = ("" if "threshold" in stored else "; no binary masks: the model holds no map "
                        "threshold (fit it on an inspection layout)")
                info(f"wrote heat maps and overlays to {maps}{note}")
            if world > 1:
                import torch
                import torch.distributed as dist

                totals = torch.tensor([count["rows"], count["flagged"]], dtype=torch.int64)
                dist.all_reduce(totals)
                count["rows"], count["flagged"] = (int(v) for v in totals)
                dist.barrier()
                if rank == 0:
                    _merge_parts(out, [shard(r) for r in range(world)])
        finally:
            if distributed:
                stop_distributed()
    if rank == 0:
        info(f"scored {count['rows']} samples; {count['flagged']} above the threshold "
             f"{detector.threshold_:.5g}; wrote {out}")
