"""A model folder as the service holds it: what it takes, how a request's body becomes its input,
how a batch of inputs is scored, and the extras it can add (maps, spans, contributions).

Inputs by kind (every kind also takes JSON):

- ``image``: image files (multipart), or JSON ``{"instances": [...]}`` of arrays shaped like one
  training image; ``maps=png`` or ``maps=array`` adds the anomaly maps (drawn with the map kind
  and smoothing the model was fitted with, in the same pass as the scores);
- ``vector``: JSON ``{"instances": [[...], ...]}`` of rows of the training length;
- ``table``: a CSV (body ``text/csv`` or a multipart file), or JSON ``{"records": [{column:
  value}, ...]}``; ``contributions=K`` adds each row's K columns with the largest shares;
- ``audio``: WAV / FLAC files (multipart), or JSON ``{"instances": [[samples], ...]}`` of waveforms
  at the model's sample rate; ``spans=true`` adds the flagged time spans.
"""

from __future__ import annotations

import base64
import io
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from aedetect.errors import InputError


class RequestError(Exception):
    """A request the service refuses: its HTTP status and what was wrong, for the JSON answer."""

    def __init__(self, status: int, message: str, expected=None):
        super().__init__(message)
        self.status, self.message, self.expected = status, message, expected


@dataclass
class Limits:
    """What one request may hold; beyond it the answer is 413."""

    body_bytes: int = 20 * 2**20
    samples: int = 10_000  # rows, images or clips
    pixels: int = 4096 * 4096  # per image
    audio_seconds: float = 60.0  # per clip


@dataclass
class Upload:
    """One file of a multipart request."""

    name: str
    data: bytes


class ServedModel:
    """A loaded model folder (read once, never written) and its request handling."""

    def __init__(self, path: str | Path, name: str | None = None):
        from aedetect.folders import folder_kind
        from aedetect.loading import load

        self.path = Path(path)
        self.name = name or self.path.resolve().name
        self.detector = load(self.path, device="cpu")
        kind = folder_kind(self.path)
        if kind == "array":
            kind = "image" if len(self.detector.input_shape_) >= 2 else "vector"
        self.kind = kind
        self.trained = datetime.fromtimestamp(os.path.getmtime(self.path / "model.safetensors"),
                                              timezone.utc).isoformat(timespec="seconds")

    # ----------------------------------------------------------- describing
    def describe(self) -> dict:
        det = self.detector
        out = {"name": self.name, "kind": self.kind, "threshold": float(det.threshold_),
               "trained": self.trained, "seed": getattr(det, "detector_", det).seed_}
        if self.kind in ("image", "vector"):
            out["input_shape"] = list(det.input_shape_)
            out["input_dtype"] = det.input_dtype_
        elif self.kind == "table":
            out["columns"] = list(det.encoder_.columns_)
        else:
            out["sample_rate"] = det.features_.sample_rate
        return out

    # ----------------------------------------------------------- parsing
    def parse_json(self, body: dict, limits: Limits):
        """The model's input from a JSON body (see the module's docstring)."""
        if not isinstance(body, dict):
            raise RequestError(422, "the JSON body must be an object", self._expected())
        if self.kind == "table":
            records = body.get("records")
            if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
                raise RequestError(422, "a table model takes {\"records\": [{column: value, ...}, ...]}",
                                   self._expected())
            self._check_count(len(records), limits)
            import pandas as pd

            return self._columns_checked(pd.DataFrame.from_records(records))
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            raise RequestError(422, "the body must hold a non-empty list \"instances\"", self._expected())
        self._check_count(len(instances), limits)
        if self.kind == "audio":
            clips = []
            for i, clip in enumerate(instances):
                y = self._numbers(clip, f"instances[{i}]")
                if y.ndim != 1:
                    raise RequestError(422, f"instances[{i}]: a waveform is a flat list of samples",
                                       self._expected())
                if len(y) > limits.audio_seconds * self.detector.features_.sample_rate:
                    raise RequestError(413, f"instances[{i}]: longer than {limits.audio_seconds:g} s")
                clips.append(y.astype(np.float32))
            return clips
        X = self._numbers(instances, "instances")
        shape = tuple(self.detector.input_shape_)
        if X.shape[1:] != shape:
            raise RequestError(422, f"instances have shape {list(X.shape[1:])} each; this model takes "
                               f"{list(shape)}", self._expected())
        if self.detector.input_dtype_ == "uint8":
            if X.min() < 0 or X.max() > 255 or not np.array_equal(X, np.round(X)):
                raise RequestError(422, "this model was trained on 8-bit images: values must be whole "
                                   "numbers from 0 to 255", self._expected())
            return X.astype(np.uint8)
        return X.astype(np.float32)

    def parse_files(self, files: list[Upload], limits: Limits):
        """The model's input from uploaded files: images, audio clips or one CSV."""
        if not files:
            raise RequestError(422, "no files in the request", self._expected())
        if self.kind == "vector":
            raise RequestError(422, "a vector model takes JSON instances, not files", self._expected())
        if self.kind == "table":
            if len(files) != 1:
                raise RequestError(422, f"a table model takes one CSV file; got {len(files)}")
            return self.parse_csv(files[0].data, limits, files[0].name)
        self._check_count(len(files), limits)
        if self.kind == "audio":
            from aedetect.data.audio import decode_audio

            f = self.detector.features_
            try:
                return [decode_audio(u.data, u.name, f.sample_rate, f.channel, limits.audio_seconds)
                        for u in files]
            except InputError as err:
                status = 413 if "at most" in str(err) else 422
                raise RequestError(status, str(err), self._expected()) from None
        return np.stack([self._image(u, limits) for u in files])

    def parse_csv(self, data: bytes, limits: Limits, name: str = "body"):
        import pandas as pd

        try:
            frame = pd.read_csv(io.BytesIO(data), nrows=limits.samples + 1)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
            raise RequestError(422, f"{name}: not a readable CSV ({err})", self._expected()) from None
        self._check_count(len(frame), limits)
        if frame.empty:
            raise RequestError(422, f"{name}: no rows", self._expected())
        return self._columns_checked(frame)

    def _columns_checked(self, frame):
        """Refused here, not in a batch with other requests' rows: a table lacking columns."""
        try:
            self.detector.encoder_.align(frame)
        except InputError as err:
            raise RequestError(422, str(err), self._expected()) from None
        return frame

    def _image(self, upload: Upload, limits: Limits) -> np.ndarray:
        from PIL import Image

        from aedetect.data.images import convert_image

        try:
            img = Image.open(io.BytesIO(upload.data))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise RequestError(422, f"{upload.name}: not a readable image file", self._expected()) from None
        with img:
            if img.width * img.height > limits.pixels:
                raise RequestError(413, f"{upload.name}: {img.width}x{img.height} pixels; at most "
                                   f"{limits.pixels:,} per image")
            shape = self.detector.input_shape_
            try:
                return convert_image(img, (shape[0], shape[1]), "rgb" if len(shape) == 3 else "grey",
                                     upload.name)
            except InputError as err:
                raise RequestError(422, str(err), self._expected()) from None

    def _numbers(self, values, what: str) -> np.ndarray:
        try:
            X = np.asarray(values, dtype=np.float64)
        except (ValueError, TypeError):
            raise RequestError(422, f"{what}: not a rectangular array of numbers", self._expected()) from None
        if not np.isfinite(X).all():
            raise RequestError(422, f"{what}: holds NaN or infinite values")
        return X

    def _check_count(self, n: int, limits: Limits) -> None:
        if n > limits.samples:
            raise RequestError(413, f"{n:,} samples in one request; at most {limits.samples:,}: send "
                               "them in parts")

    def _expected(self) -> dict:
        return {k: v for k, v in self.describe().items()
                if k in ("kind", "input_shape", "input_dtype", "columns", "sample_rate")}

    # ----------------------------------------------------------- scoring
    def count(self, inputs) -> int:
        return len(inputs)

    def join(self, parts: list):
        """Several requests' inputs as one batch."""
        if self.kind == "table":
            import pandas as pd

            return pd.concat(parts, ignore_index=True)
        if self.kind == "audio":
            return [clip for part in parts for clip in part]
        return np.concatenate(parts)

    def score(self, inputs) -> np.ndarray:
        """Anomaly scores of a batch (float64), higher = more anomalous."""
        try:
            return np.asarray(self.detector.anomaly_score(inputs), dtype=np.float64)
        except InputError as err:  # wrong columns, a clip too short, ...
            raise RequestError(422, str(err), self._expected()) from None

    def check_options(self, options: dict) -> None:
        """Refuse, before anything is read, options this model cannot answer."""
        maps, spans, k = options.get("maps"), options.get("spans"), options.get("contributions")
        if maps is not None and (self.kind != "image" or maps not in ("png", "array")):
            raise RequestError(422, "maps= needs an image model" if self.kind != "image"
                               else f"maps must be png or array; got {maps!r}")
        if spans is not None and (self.kind != "audio" or spans not in ("true", "false")):
            raise RequestError(422, "spans= needs an audio model" if self.kind != "audio"
                               else f"spans must be true or false; got {spans!r}")
        if k is not None and (self.kind != "table" or not k.isdigit() or int(k) < 1):
            raise RequestError(422, "contributions= needs a table model" if self.kind != "table"
                               else f"contributions must be a whole number of columns; got {k!r}")

    def scores_and_maps(self, inputs, form: str) -> tuple[np.ndarray, dict]:
        """Scores and anomaly maps (``form``: "png" or "array") of a batch of images from one
        reconstruction per image, drawn with the map settings the model was fitted with."""
        from aedetect.maps import stored_settings

        try:
            scores, found = self.detector.anomaly_map(inputs, **stored_settings(self.detector),
                                                      return_scores=True)
        except InputError as err:
            raise RequestError(422, str(err), self._expected()) from None
        maps = [png_heat_map(m) for m in found] if form == "png" else np.round(found, 6).tolist()
        return np.asarray(scores, dtype=np.float64), {"maps": maps}

    def extras(self, inputs, options: dict) -> dict:
        """What the request asked for beyond the scores (options checked by :meth:`check_options`):
        spans or contributions (maps come with the scores: :meth:`scores_and_maps`)."""
        out = {}
        if options.get("spans") == "true":
            out["spans"] = [self.detector.flagged_spans(*self.detector.frame_errors(c)) for c in inputs]
        if options.get("contributions"):
            top = self.detector.feature_contributions(inputs).top(int(options["contributions"]))
            out["contributions"] = [[{"column": c, "share": round(s, 6)} for c, s in row] for row in top]
        return out


def png_heat_map(values: np.ndarray) -> str:
    """A map (H, W) as a base64 grey PNG, 0 to its maximum mapped to 0 to 255."""
    from PIL import Image

    top = float(values.max())
    scaled = np.zeros_like(values) if not math.isfinite(top) or top <= 0 else values / top
    buffer = io.BytesIO()
    Image.fromarray((scaled.clip(0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
