"""A small client for ``aedetect serve`` on the standard library (urllib)::

    from aedetect.serving import Client
    client = Client("http://127.0.0.1:8000", token=None)
    client.score("digits", instances=X[:4])             # arrays: image or vector models
    client.score("parts", files=["a.png", "b.png"], maps="png")
    client.score("plant", records=[{"temp": 21.0, "pressure": 1003.0}], contributions=3)
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path


class ServiceError(Exception):
    """The service answered with an error: ``status`` and its JSON ``body``."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"{status}: {body.get('error', body)}")
        self.status, self.body = status, body


class Client:
    def __init__(self, url: str = "http://127.0.0.1:8000", token: str | None = None, timeout: float = 60.0,
                 retries: int = 0, retry_wait: float = 0.5):
        """``retries``: how many times a request that found no server (refused, reset) is sent again."""
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout
        self.retries, self.retry_wait = retries, retry_wait
        self.retried = 0  # requests sent again so far

    def health(self) -> dict:
        return self._request("GET", "/health")

    def models(self) -> list[dict]:
        return self._request("GET", "/models")

    def score(self, model: str, *, instances=None, records=None, csv: str | bytes | None = None,
              files=None, **options) -> dict:
        """Scores of one request: give ``instances`` (arrays), ``records`` (table rows as dicts),
        ``csv`` (a table's text) or ``files`` (paths, or (name, bytes) pairs); ``options``:
        maps="png"|"array", spans=True, contributions=K."""
        query = urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v
                                        for k, v in options.items()})
        path = f"/models/{urllib.parse.quote(model)}/score" + (f"?{query}" if query else "")
        if files is not None:
            body, ctype = _multipart(files)
        elif csv is not None:
            body, ctype = (csv.encode() if isinstance(csv, str) else csv), "text/csv"
        else:
            payload = {"records": records} if records is not None else {"instances": _listed(instances)}
            body, ctype = json.dumps(payload).encode(), "application/json"
        return self._request("POST", path, body, ctype)

    def _request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
        headers = {"Content-Type": ctype} if ctype else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as err:
                raw = err.read()
                try:
                    answer = json.loads(raw)
                except ValueError:
                    answer = {"error": raw.decode(errors="replace")}
                raise ServiceError(err.code, answer) from None
            except (urllib.error.URLError, ConnectionError) as err:  # no server (yet, or any more)
                if attempt == self.retries:
                    raise ConnectionError(f"{self.url}: {getattr(err, 'reason', err)}") from None
                self.retried += 1
                time.sleep(self.retry_wait)


def _listed(values):
    return values.tolist() if hasattr(values, "tolist") else values


def _multipart(files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for f in files:
        name, data = (f[0], f[1]) if isinstance(f, tuple) else (Path(f).name, Path(f).read_bytes())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
