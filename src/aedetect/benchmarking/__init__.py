"""Benchmark protocols, their runner and the published numbers they are compared with, for
``aedetect benchmark`` and the scripts under ``benchmarks/``. The library never imports this
package.

``PUBLISHED`` comes from ``published.json`` (each number with its source).
"""

from __future__ import annotations

import json
from pathlib import Path

PUBLISHED: dict = json.loads((Path(__file__).with_name("published.json")).read_text())
