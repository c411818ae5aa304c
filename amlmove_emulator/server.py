"""The HTTPS front of the emulator: TLS with a trustme CA, fault injection, the request log, traffic capture, and the
test hooks under /_emulator/ (not ARM; documented in the README)."""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import trustme

from . import entra, ids, moves, scenario
from .arm import Arm
from .state import Fault, LroShape, Store
from .wire import ArmError, Request, Response, new_request_id

OPENID = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$", re.IGNORECASE)
TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$", re.IGNORECASE)
GITHUB_OIDC_REQUEST_TOKEN = "emulated-github-oidc-request-token"
ADO_ACCESS_TOKEN = "emulated-ado-system-access-token"


class Emulator:
    """Everything behind the socket: the store, ARM, Entra and the hooks."""

    def __init__(self, base_url: str, capture: Path | None = None) -> None:
        self.base_url = base_url
        self.store = Store()
        self.arm = Arm(self.store)
        self.capture = capture
        self._capture_lock = threading.Lock()

    # ---- dispatch ----------------------------------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        if req.path.lower() == "/metadata/endpoints":
            return Response(200, entra.cloud_metadata(self.base_url, req.query.get("api-version")))
        if m := OPENID.match(req.path):
            return Response(200, entra.openid_configuration(self.base_url, m.group(1)))
        if (m := TOKEN.match(req.path)) and req.method == "POST":
            try:
                with self.store.lock:
                    reply = entra.issue_token(self.store, self.base_url, m.group(1), req.body)
                    principal = reply and self._principal_of(reply["access_token"])
                return Response(200, reply, principal=principal)
            except entra.TokenError as exc:
                return Response(exc.status, exc.body())
        if req.path.lower() == entra.MANAGED_IDENTITY_PATH and req.method == "GET":
            try:
                with self.store.lock:
                    default = scenario.default_principal(self.store) if self.store.principals else None
                    reply = entra.issue_managed_identity_token(self.store, req.query, req.headers, default)
                    principal = self._principal_of(reply["access_token"])
                return Response(200, reply, principal=principal)
            except entra.TokenError as exc:
                return Response(exc.status, {"statusCode": exc.status, "message": exc.description})
        try:
            return self.arm.handle(req)
        except ArmError as exc:
            return exc.response()

    def _principal_of(self, token: str) -> str | None:
        try:
            return entra.verify_access_token(self.store, token, (self.base_url, *entra.ARM_AUDIENCES)).get("oid")
        except ValueError:
            import jwt

            return jwt.decode(token, options={"verify_signature": False}).get("oid")

    # ---- hooks -------------------------------------------------------------------------------------------------
    def hook(self, req: Request) -> Response:
        name, m = req.path[len("/_emulator/") :].strip("/").lower(), req.method
        body = _json_or_empty(req.body) if name != "scenario" else None
        store = self.store
        if name == "health":
            return Response(200, {"status": "ok"})
        if name == "scenario" and m == "POST":
            scenario.apply(store, scenario.parse_text(req.body.decode("utf-8")))
            principal = scenario.default_principal(store)
            return Response(
                200,
                {
                    "loaded": len(store.resources),
                    "url": self.base_url,
                    "tenantId": principal.tenant_id,
                    "clientId": principal.client_id,
                    "clientSecret": principal.client_secret,
                },
            )
        if name == "reset" and m == "POST":
            store.reset()
            return Response(200, {"reset": True})
        if name == "requests" and m == "GET":
            with store.lock:
                return Response(200, list(store.request_log))
        if name == "state" and m == "GET":
            with store.lock:
                moves.advance(store)  # a move whose time has come is done, whether or not anyone polled it
                return Response(
                    200,
                    {
                        "resources": [{"id": r.id, "body": r.body} for r in store.resources.values()],
                        "subscriptions": [
                            {
                                "subscriptionId": s.subscription_id,
                                "tenantId": s.tenant_id,
                                "state": s.state,
                                "registeredProviders": sorted(k for k, v in s.registered.items() if v == "Registered"),
                            }
                            for s in store.subscriptions.values()
                        ],
                        "operations": [
                            {
                                "id": o.op_id,
                                "kind": o.kind,
                                "status": o.result_status,
                                "resources": o.resources,
                                "targetResourceGroup": o.target_group,
                            }
                            for o in store.operations.values()
                            if o.kind in ("validate", "move")
                        ],
                    },
                )
        if name == "faults" and m == "POST":
            faults = body if isinstance(body, list) else [body]
            with store.lock:
                for f in faults:
                    store.faults.append(_fault(f))
            return Response(200, {"faults": len(store.faults)})
        if name == "faults" and m == "DELETE":
            with store.lock:
                store.faults.clear()
            return Response(200, {"faults": 0})
        if name == "lro" and m == "POST":
            with store.lock:
                store.lro_shapes = [s for s in store.lro_shapes if s.operation != body.get("operation", "move")]
                store.lro_shapes.insert(0, _lro_shape(body))
            return Response(200, {"shapes": len(store.lro_shapes)})
        if name == "settings" and m == "POST":
            scenario.apply_settings(store, body)
            return Response(200, {"ok": True})
        if name == "github-oidc" and m == "GET":  # what ACTIONS_ID_TOKEN_REQUEST_URL answers on a runner
            if req.headers.get("authorization") != f"Bearer {GITHUB_OIDC_REQUEST_TOKEN}":
                return Response(401, {"message": "Bad credentials"})
            token = entra.mint_external_token(
                entra.GITHUB_ISSUER,
                store.settings.github_subject,
                req.query.get("audience", "api://AzureADTokenExchange"),
                store.settings.external_token_lifetime_seconds,
                store.secret_issuer,
                repository="contoso/ml-platform",
                environment="production",
            )
            return Response(200, {"count": 1, "value": token})
        if name == "ado-oidc" and m == "POST":  # what SYSTEM_OIDCREQUESTURI answers in Azure Pipelines
            if req.headers.get("authorization") != f"Bearer {ADO_ACCESS_TOKEN}":
                return Response(401, {"message": "TF400813: The user is not authorized to access this resource."})
            conn = req.query.get("serviceConnectionId", "")
            token = entra.mint_external_token(
                "https://vstoken.dev.azure.com/emulated-org",
                f"sc://contoso/ml/{conn}",
                "api://AzureADTokenExchange",
                store.settings.external_token_lifetime_seconds,
                store.secret_issuer,
            )
            return Response(200, {"oidcToken": token})
        return Response(404, {"error": {"code": "UnknownHook", "message": f"No emulator hook '{m} {req.path}'."}})

    # ---- faults, log, capture -----------------------------------------------------------------------------------
    def take_fault(self, method: str, path: str, query: str = "") -> Fault | None:
        with self.store.lock:
            for fault in self.store.faults:
                if fault.matches(method, path, query):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.store.faults.remove(fault)
                    return fault
        return None

    def record(self, req: Request, resp: Response, started: float, duration_ms: float) -> None:
        entry = {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "status": resp.status,
            "startedAt": started,
            "durationMs": round(duration_ms, 3),
            "principal": resp.principal,
        }
        with self.store.lock:
            self.store.request_log.append(entry)
        if self.capture is not None and resp.raw is None and resp.status != 0:  # injected garbage or a reset: not ARM
            # The path as it was on the wire: a spec template's one-segment {scope} (ManagementLocks_ListByScope, which
            # the locks SDK percent-encodes) matches only the encoded form; the request log keeps the decoded path.
            line = json.dumps(
                {
                    "method": req.method,
                    "path": req.wire_path or req.path,
                    "query": req.query,
                    "status": resp.status,
                    "body": resp.body,
                    # the request too, for the request-side spec check (tests/support/request_conformance.py): its JSON
                    # body and who sent it (the product's clients carry "amlmove" in their User-Agent)
                    "requestBody": _request_json(req.body),
                    "userAgent": req.headers.get("user-agent", ""),
                    # fewer body bytes than announced: the client died mid-request (the tests kill runners)
                    "requestTruncated": len(req.body) < int(req.headers.get("content-length") or 0),
                }
            )
            with self._capture_lock, self.capture.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def _request_json(raw: bytes) -> Any:
    """A request body as JSON for the capture; None when empty, a marker when not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"_notJson": len(raw)}


def _json_or_empty(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ArmError(400, "InvalidHookBody", "The hook body must be JSON.") from None


def _fault(raw: dict[str, Any]) -> Fault:
    if not isinstance(raw, dict) or not any(k in raw for k in ("status", "latencyMs", "resetConnection")):
        raise ArmError(400, "InvalidFault", "A fault needs at least one of 'status', 'latencyMs', 'resetConnection'.")
    details = raw.get("errorDetails")
    if details is not None and not (isinstance(details, list) and all(isinstance(d, dict) for d in details)):
        raise ArmError(400, "InvalidFault", "errorDetails must be a list of objects.")
    return Fault(
        method=raw.get("method"),
        path_regex=re.compile(raw["pathRegex"], re.IGNORECASE) if raw.get("pathRegex") else None,
        status=int(raw["status"]) if raw.get("status") is not None else None,
        retry_after=float(raw["retryAfter"]) if raw.get("retryAfter") is not None else None,
        latency_ms=float(raw.get("latencyMs") or 0),
        count=int(raw["count"]) if raw.get("count") is not None else None,
        reset_connection=bool(raw.get("resetConnection")),
        query_regex=re.compile(raw["queryRegex"], re.IGNORECASE) if raw.get("queryRegex") else None,
        body=str(raw["body"]) if raw.get("body") is not None else None,
        content_type=str(raw["contentType"]) if raw.get("contentType") else None,
        error_code=str(raw["errorCode"]) if raw.get("errorCode") is not None else None,
        error_message=str(raw["errorMessage"]) if raw.get("errorMessage") is not None else None,
        error_details=details,
        skip=int(raw.get("skip") or 0),
    )


def _lro_shape(raw: dict[str, Any]) -> LroShape:
    outcome = raw.get("outcome", "succeeded")
    if outcome not in ("succeeded", "failed", "timeout"):
        raise ArmError(400, "InvalidLroShape", "outcome must be 'succeeded', 'failed' or 'timeout'.")
    return LroShape(
        duration_seconds=float(raw.get("durationSeconds", 0)),
        outcome=outcome,
        partial=list(raw.get("partial") or []),
        operation=raw.get("operation", "move"),
        count=int(raw["count"]) if raw.get("count") is not None else None,
        target_regex=re.compile(raw["targetRegex"], re.IGNORECASE) if raw.get("targetRegex") else None,
    )


_FAULT_CODES = {
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
    408: "RequestTimeout",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AzureEmulator/1.0"
    sys_version = ""
    emulator: Emulator

    def log_message(self, format: str, *args: Any) -> None:  # the request log replaces stderr chatter
        return

    def setup(self) -> None:
        super().setup()
        # Answer each response in one segment, at once: without this, Nagle's algorithm holds the body back until
        # the client acknowledges the headers, and a delayed ACK makes that up to 40 ms per request.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _handle(self) -> None:
        started_wall, started = time.time(), time.perf_counter()
        emulator = self.emulator
        split = urlsplit(self.path)
        path = ids.normalise(unquote(split.path))
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, path, query, headers, self._read_body(), emulator.base_url, split.path)
        if path.lower().startswith("/_emulator/"):
            try:
                resp = emulator.hook(req)
            except (ArmError, scenario.ScenarioError, ValueError) as exc:
                resp = (
                    exc.response()
                    if isinstance(exc, ArmError)
                    else Response(400, {"error": {"code": "InvalidScenario", "message": str(exc)}})
                )
            self._send(resp)
            return
        fault = emulator.take_fault(req.method, path, split.query)
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault is not None and fault.reset_connection:
            emulator.record(req, Response(0), started_wall, (time.perf_counter() - started) * 1000)
            self._reset()
            return
        if fault is not None and fault.status is not None:
            code = fault.error_code or _FAULT_CODES.get(fault.status, "InjectedFault")
            message = fault.error_message or f"Injected fault: HTTP {fault.status}."
            error: dict[str, Any] = {"code": code, "message": message}
            if fault.error_details:
                error["details"] = fault.error_details
            resp = Response(fault.status, {"error": error})
            if fault.body is not None:
                resp = Response(fault.status, None, raw=fault.body.encode("utf-8"))
                resp.content_type = fault.content_type or "text/html; charset=utf-8"
            if fault.retry_after is not None:
                resp.headers["Retry-After"] = (
                    str(int(fault.retry_after)) if float(fault.retry_after).is_integer() else str(fault.retry_after)
                )
        else:
            try:
                resp = emulator.dispatch(req)
            except Exception:  # noqa: BLE001 - an emulator bug must answer 500, not kill the connection
                traceback.print_exc(file=sys.stderr)
                resp = Response(500, {"error": {"code": "InternalServerError", "message": "Emulator failure."}})
        payload = _payload(resp)
        # Logged and captured before the client gets the answer: a test reading the request log (or the capture) right
        # after a call must find that call there. The duration includes serialising the body (the server's work).
        emulator.record(req, resp, started_wall, (time.perf_counter() - started) * 1000)
        self._send(resp, head=req.method == "HEAD", payload=payload)

    def _send(self, resp: Response, head: bool = False, payload: bytes | None = None) -> None:
        if payload is None:
            payload = _payload(resp)
        self.send_response(resp.status)
        request_id = new_request_id()
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", resp.headers.pop("x-ms-correlation-request-id", request_id))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if payload:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", "0" if head else str(len(payload)))
        self.send_header("Cache-Control", "no-cache")
        if payload and not head:  # headers and body in one write (end_headers would flush the headers alone)
            self._headers_buffer.append(b"\r\n" + payload)
            self.flush_headers()
        else:
            self.end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server answers itself (an unsupported method, a malformed request line) in ARM's error body,
        not its HTML page; an unsupported method is 405, as ARM answers a method a route does not take."""
        status = 405 if code == 501 else int(code)
        arm_code = "MethodNotAllowed" if status == 405 else "BadRequest" if status == 400 else "InvalidRequest"
        text = f"The HTTP method '{self.command}' is not supported." if status == 405 else (message or "Bad request.")
        payload = json.dumps({"error": {"code": arm_code, "message": text}}).encode("utf-8")
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """Drop the connection with a TCP RST, as a broken network path would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _handle


def _payload(resp: Response) -> bytes:
    if resp.raw is not None:
        return resp.raw
    return b"" if resp.body is None or resp.status == 204 else json.dumps(resp.body).encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return  # clients dropping connections (and injected resets) are normal here
        super().handle_error(request, client_address)


def make_server(port: int, state_dir: Path, capture: Path | None = None) -> tuple[_Server, Emulator]:
    """Bind 127.0.0.1:port with a fresh CA (written to state_dir/ca.pem); the caller loads a scenario and serves."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="amlmove Azure emulator")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(state_dir / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    handler = type("Handler", (_Handler,), {})
    server = _Server(("127.0.0.1", port), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    base_url = f"https://127.0.0.1:{server.server_address[1]}"
    emulator = Emulator(base_url, capture)
    handler.emulator = emulator
    return server, emulator
