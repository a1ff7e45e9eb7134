"""Serving model folders over HTTP (``aedetect serve``): :func:`build_app` makes the ASGI
application, :class:`ServedModel` holds one model and turns request bodies into its input,
:class:`MicroBatcher` scores requests that arrive together as one batch, and :class:`Client`
talks to a running service from Python (standard library only)."""

from aedetect.serving.app import build_app
from aedetect.serving.batcher import MicroBatcher
from aedetect.serving.client import Client
from aedetect.serving.served import Limits, RequestError, ServedModel

__all__ = ["Client", "Limits", "MicroBatcher", "RequestError", "ServedModel", "build_app"]
