"""``aedetect export``: a model folder as an ONNX graph that outputs the anomaly score."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import check_out, info, user_errors


def export(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write, e.g. model.onnx."),
    format: str = typer.Option("onnx", "--format", help="onnx (the only format so far)."),
    opset: int = typer.Option(18, min=18, help="ONNX opset version."),
    maps: bool = typer.Option(False, "--maps", help="Image models: a second output, map (N, H, W), the "
                              "per-pixel anomaly map."),
) -> None:
    """Write the model as ONNX: input x (N, *input shape, float32, the units it was fitted on),
    output score (N,), the anomaly score; the threshold is in the model's metadata."""
    from aedetect.errors import InputError
    from aedetect.export import export_onnx
    from aedetect.loading import load

    with user_errors():
        check_out(out, folder=False)
        if format != "onnx":
            raise InputError(f"--format must be onnx; got {format!r}")
        detector = load(model_dir, device="cpu")
        export_onnx(detector, out, opset=opset, maps=maps)
    info(f"wrote {out}: input x {list(getattr(detector, 'detector_', detector).input_shape_)} per sample, "
         "output score (higher = more anomalous)" + (" and map (N, H, W)" if maps else ""))
