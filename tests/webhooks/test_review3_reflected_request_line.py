"""Review repro (fails on purpose): a receiver that reflects the request (an echo service, a
misconfigured proxy) makes h11 quote the request line in its RemoteProtocolError, and
log_text puts that text, the URL's path and query, in the server log (docs/change-events.md
says never)."""

from __future__ import annotations

import asyncio

import httpx

from orgql.webhooks.failures import log_text


async def test_a_reflected_request_line_puts_no_path_or_query_in_the_log() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readuntil(b"\r\n\r\n"))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient() as client:
            try:
                url = f"http://127.0.0.1:{port}/hooks/s3cr3t?token=SECRET"
                async with client.stream("POST", url, content=b"{}"):
                    raise AssertionError("an answer")
            except httpx.RemoteProtocolError as error:
                logged = log_text(error)
    finally:
        server.close()

    assert "s3cr3t" not in logged, logged
    assert "SECRET" not in logged, logged
