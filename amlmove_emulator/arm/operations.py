"""Moves (validateMoveResources, moveResources) and the asynchronous operations ARM and Azure ML answer with:
operationresults polls, group deletes, mfeOperationResults / mfeOperationsStatus."""

from __future__ import annotations

import copy
import math
import uuid
from typing import Any

from .. import moves, provisioning
from ..state import MoveOperation, StoredResource
from ..wire import ArmError, Request, Response
from .base import ASYNC_HEADER, ML, ArmBase, _format_seconds, _norm_location, now_iso


class MoveOperations(ArmBase):
    def _move(self, req: Request, oid: str, sub: str, group: str, kind: str) -> Response:
        try:
            op = moves.start(self.store, kind, sub, group, self._json(req), oid)
        except moves.MoveRejected as rejected:
            return Response(rejected.status, rejected.body())
        return self._location(req.base_url, op)

    def _location(self, base_url: str, op: MoveOperation) -> Response:
        retry = self.store.settings.retry_after_seconds
        return Response(
            202,
            None,
            {
                "Location": f"{base_url}/subscriptions/{op.subscription}/operationresults/{op.op_id}"
                f"?api-version=2025-04-01",
                "Retry-After": _format_seconds(retry),
                "x-ms-correlation-request-id": op.correlation_id,
            },
        )

    def _accepted(self, base_url: str, sub: str, kind: str, status: int) -> Response:
        op = MoveOperation(
            op_id=str(uuid.uuid4()),
            kind=kind,
            subscription=sub,
            source_group="",
            target_group="",
            resources=[],
            principal="",
            started_at=self.store.now(),
            duration=0,
            outcome="succeeded",
            partial=[],
            correlation_id=str(uuid.uuid4()),
            result_status=status,
        )
        self.store.operations[op.op_id] = op
        # Whole seconds, as ARM sends them: the SDKs parse this header of a group delete as an int (a fractional
        # retryAfterSeconds, fine for the move polls, made `begin_delete` raise ValueError before polling).
        return Response(
            202,
            None,
            {
                "Location": f"{base_url}/subscriptions/{sub}/operationresults/{op.op_id}?api-version=2025-04-01",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
            },
        )

    def _ml_async(self, req: Request, sub: str, location: str) -> Response:
        """202 with Location (mfeOperationResults) and Azure-AsyncOperation (mfeOperationsStatus), as Azure ML answers
        an endpoint/deployment/compute delete (WorkspaceCleanRemoveOnlineEndpoint.Recording.json). The emulator has
        already done the work, so the status page says Succeeded."""
        op_id = f"odidp:{uuid.uuid4()}:{uuid.uuid4()}"
        self.store.ml_operations[op_id] = {"started": now_iso()}
        base = f"{req.base_url}/subscriptions/{sub}/providers/{ML}/locations/{_norm_location(location)}"
        api = req.query.get("api-version", "2024-10-01")
        return Response(
            202,
            None,
            {
                "Location": f"{base}/mfeOperationResults/{op_id}?api-version={api}",
                ASYNC_HEADER: f"{base}/mfeOperationsStatus/{op_id}?api-version={api}",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
                "x-ms-async-operation-timeout": "PT30M",
            },
        )

    def _ml_provision(self, req: Request, sub: str, resource_id: str, created: bool) -> Response:
        """An endpoint or deployment PUT: 201 (200 for an update) with the object in Creating (Updating), its own URL
        as Location and an Azure-AsyncOperation status page (provisioning.py; the real exchange is in
        tests/recordings/ml-online-endpoint-create.json)."""
        op_id, showing = provisioning.start(self.store, resource_id, created)
        location = str(showing.get("location") or "eastus")
        base = f"{req.base_url}/subscriptions/{sub}/providers/{ML}/locations/{_norm_location(location)}"
        api = req.query.get("api-version", "2024-10-01")
        stored = self.store.get(resource_id)
        assert stored is not None
        return Response(
            201 if created else 200,
            self._present(stored),
            {
                "Location": f"{req.base_url}{resource_id}?api-version={api}",
                ASYNC_HEADER: f"{base}/mfeOperationsStatus/{op_id}?api-version={api}",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
                "x-ms-async-operation-timeout": "PT30M",
            },
        )

    def _update_later(self, req: Request, sub: str, stored: StoredResource, new_body: dict[str, Any]) -> Response:
        """Key Vault's answer to a private endpoint connection PUT (Azure/azure-cli recording
        test_keyvault_private_endpoint_connection.yaml): 200, provisioningState Updating, and an Azure-AsyncOperation
        header; the change takes effect when the operation is polled to its end (the path of that URL is the
        emulator's own: clients follow the header, whatever it says)."""
        op_id = str(uuid.uuid4())
        self.store.async_updates[op_id] = (stored.id, new_body)
        updating = copy.deepcopy(stored.body)
        updating.setdefault("properties", {})["provisioningState"] = "Updating"
        stored.body = updating
        return Response(
            200,
            self._present(stored),
            {
                "Azure-AsyncOperation": f"{req.base_url}/subscriptions/{sub}/asyncoperations/{op_id}"
                "?api-version=2023-07-01",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
            },
        )

    def _async_update_status(self, op_id: str) -> Response:
        pending = self.store.async_updates.pop(op_id, None)
        if pending is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        resource_id, body = pending
        stored = self.store.get(resource_id)
        if stored is not None:
            stored.body = body
        return Response(200, {"id": op_id, "name": op_id, "status": "Succeeded"})

    def _ml_operation(self, req: Request, op_id: str, status_page: bool) -> Response:
        op = self.store.ml_operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
        if not status_page:
            return Response(200, None)
        if "final" in op:  # an endpoint or deployment being provisioned
            body = provisioning.status_body(op_id, op, req.path)
            # ARM's asynchronous-operation contract lets a status answer carry Retry-After while the operation runs
            # (the recorded polls were answered once finished: none to compare); clients then poll at that pace
            wait = {"Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds)))}
            return Response(200, body, wait if body["status"] == "InProgress" else {})
        return Response(
            200,
            {"id": req.path, "name": op_id, "status": "Succeeded", "startTime": op["started"], "endTime": now_iso()},
        )

    def _operation_result(self, op_id: str, base_url: str) -> Response:
        op = self.store.operations.get(op_id.lower()) or self.store.operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
        if op.result_status is None:
            # ARM repeats Location on every 202 poll (tests/recordings/resource-move.json, a real move's polls)
            location = f"{base_url}/subscriptions/{op.subscription}/operationresults/{op.op_id}?api-version=2025-04-01"
            retry = _format_seconds(self.store.settings.retry_after_seconds)
            return Response(202, None, {"Location": location, "Retry-After": retry})
        return Response(op.result_status, op.result_body, {"x-ms-correlation-request-id": op.correlation_id})
