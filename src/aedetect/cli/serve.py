"""``aedetect serve``: score requests over HTTP with one or more model folders."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import info, user_errors

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def serve(
    models: list[Path] = typer.Argument(..., help="Model folders (each served under its folder name)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on; other than this machine needs "
                             "--token-file or --no-auth."),
    port: int = typer.Option(8000, help="Port to listen on (0: a free one, printed)."),
    token_file: Path = typer.Option(None, "--token-file", help="File holding the token clients send as "
                                    "'Authorization: Bearer TOKEN'."),
    no_auth: bool = typer.Option(False, "--no-auth", help="Serve a non-local address without a token."),
    max_batch: int = typer.Option(64, help="Most samples scored in one batch."),
    max_wait_ms: float = typer.Option(5.0, help="Longest a request waits for others to join its batch."),
    max_body_mb: float = typer.Option(20.0, help="Largest request body, in MB (413 beyond)."),
    max_samples: int = typer.Option(10_000, help="Most rows, images or clips in one request."),
    max_pixels: int = typer.Option(4096 * 4096, help="Most pixels of one uploaded image."),
    max_audio_seconds: float = typer.Option(60.0, help="Longest uploaded clip, in seconds."),
    threads: int = typer.Option(0, help="CPU threads for scoring (0: all cores)."),
) -> None:
    """Serve model folders over HTTP: GET /health, GET /models, POST /models/NAME/score (JSON arrays
    or records, image or audio files, CSV). Stops on Ctrl-C or SIGTERM after the requests in flight."""
    import os

    from aedetect.errors import InputError

    with user_errors():
        token = None
        if token_file is not None:
            if not token_file.is_file():
                raise InputError(f"--token-file {token_file}: no such file")
            token = token_file.read_text().strip()
            if len(token) < 16:
                raise InputError(f"--token-file {token_file}: the token must hold at least 16 characters")
        elif host not in LOCAL_HOSTS and not no_auth:
            raise InputError(f"--host {host} lets other machines in: give --token-file FILE (a secret of 16+ "
                             "characters), or --no-auth if the network is yours alone")
        counts = {"max-batch": max_batch, "max-samples": max_samples, "max-pixels": max_pixels}
        for name, value in counts.items():
            if value < 1:
                raise InputError(f"--{name} must be at least 1; got {value}")
        if max_wait_ms < 0 or max_body_mb <= 0 or max_audio_seconds <= 0:
            raise InputError("--max-wait-ms must be >= 0, --max-body-mb and --max-audio-seconds > 0")
        import torch

        try:
            import python_multipart  # noqa: F401 - Starlette's file uploads need it
            import uvicorn  # noqa: F401

            from aedetect.serving import Limits, ServedModel, build_app
        except ImportError as err:
            raise InputError(f"aedetect serve needs the service packages: pip install 'aedetect[serve]' "
                             f"({err})") from None

        torch.set_num_threads(threads or os.cpu_count() or 1)
        served = [ServedModel(path) for path in models]
        names = [m.name for m in served]
        if len(set(names)) != len(names):
            raise InputError(f"two model folders share a name ({names}): serve folders with distinct names")
        limits = Limits(body_bytes=int(max_body_mb * 2**20), samples=max_samples, pixels=max_pixels,
                        audio_seconds=max_audio_seconds)
        app = build_app(served, limits=limits, token=token, max_batch=max_batch, max_wait=max_wait_ms / 1000)
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=30)
    server = uvicorn.Server(config)
    for m in served:
        info(f"serving {m.name} ({m.kind} model, threshold {m.detector.threshold_:.5g})")

    async def announce_and_serve():
        import asyncio

        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()
            info(f"listening on http://{host}:{bound[1]}" + (" (token required)" if token else ""))
        await task

    import asyncio

    asyncio.run(announce_and_serve())
