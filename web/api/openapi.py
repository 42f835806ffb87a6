"""The OpenAPI 3.0 description of /api/v1 (tests validate it and check it lists every route)."""
from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, desc: str = "OK") -> dict:
    return {"description": desc, "content": {"application/json": {"schema": schema}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


ITEM = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "EXT-02"}
ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
}
MULTIPART = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["photos"],
        "properties": {"photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
                       "area": {"type": "string", "enum": ["facade", "entrance", "driveway", "reception",
                                                           "workshop", "lounge", "staff", "other"]}}}}},
}


def _body(props: dict, required: list[str]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "properties": props, "required": required}}}}


def openapi_document() -> dict:
    upload_result = {"type": "object", "properties": {"results": {"type": "array", "items": _ref("UploadResult")}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Dealer audit API", "version": "1.0.0",
                 "description": "Audits, photos, verdicts and dealer actions. Authenticate with a bearer token "
                                "created on /account."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": _json({"type": "object"})}}},
            "/me": {"get": {"summary": "The token's user", "responses": {"200": _json(_ref("User")), **ERRORS}}},
            "/sites": {"get": {"summary": "Sites in the user's scope", "responses": {
                "200": _json({"type": "object", "properties": {"sites": {"type": "array", "items": _ref("Site")}}}),
                **ERRORS}}},
            "/audits": {
                "get": {"summary": "Audits in scope (dealers: approved only)",
                        "parameters": [{"name": "status", "in": "query", "schema": {"type": "string"}},
                                       {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                        "responses": {"200": _json({"type": "object", "properties": {
                            "audits": {"type": "array", "items": _ref("Audit")}}}), **ERRORS}},
                "post": {"summary": "Start an audit",
                         "requestBody": _body({"site_id": {"type": "integer"},
                                               "checklist_version_id": {"type": "integer"},
                                               "brand_pack_id": {"type": "integer"},
                                               "audit_date": {"type": "string", "format": "date"}}, ["site_id"]),
                         "responses": {"201": _json(_ref("Audit"), "Created"), "400": {"$ref": "#/components/responses/Error"}, **ERRORS}},
            },
            "/audits/{audit_id}": {"get": {"summary": "An audit with items and photos", "parameters": [_id("audit_id")],
                                           "responses": {"200": _json(_ref("AuditDetail")), **ERRORS}}},
            "/audits/{audit_id}/progress": {"get": {"summary": "Analysis progress", "parameters": [_id("audit_id")],
                                                    "responses": {"200": _json(_ref("Progress")), **ERRORS}}},
            "/audits/{audit_id}/photos": {"post": {
                "summary": "Upload photos (per-file results; bad files do not fail the rest)",
                "parameters": [_id("audit_id")], "requestBody": MULTIPART,
                "responses": {"200": _json(upload_result), "422": _json(upload_result, "No file accepted"), **ERRORS}}},
            "/audits/{audit_id}/items/{item_id}/override": {"post": {
                "summary": "Override an item verdict with a reason", "parameters": [_id("audit_id"), ITEM],
                "requestBody": _body({"status": {"type": "string", "enum": ["pass", "fail", "needs_review", "not_applicable"]},
                                      "reason": {"type": "string"}}, ["status", "reason"]),
                "responses": {"200": _json(_ref("AuditDetail")), "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/audits/{audit_id}/items/{item_id}/manual": {"post": {
                "summary": "Answer a manual item", "parameters": [_id("audit_id"), ITEM],
                "requestBody": _body({"answer": {"type": "boolean"}, "note": {"type": "string"}}, ["answer"]),
                "responses": {"200": _json(_ref("AuditDetail")), "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/audits/{audit_id}/submit": {"post": {"summary": "Submit for review", "parameters": [_id("audit_id")],
                                                   "responses": {"200": _json(_ref("Audit")), "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/audits/{audit_id}/approve": {"post": {
                "summary": "Approve (head office); failed items become dealer actions", "parameters": [_id("audit_id")],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"comment": {"type": "string"},
                                                     "due_date": {"type": "string", "format": "date",
                                                                  "description": "when the dealer's actions are due "
                                                                                 "(default: ACTION_DUE_DAYS after today)"}}}}}},
                "responses": {"200": _json(_ref("Audit")), "400": {"$ref": "#/components/responses/Error"},
                              "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/audits/{audit_id}/return": {"post": {
                "summary": "Return to the auditor with a comment (head office)", "parameters": [_id("audit_id")],
                "requestBody": _body({"comment": {"type": "string"}}, ["comment"]),
                "responses": {"200": _json(_ref("Audit")), "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/photos/{photo_id}": {"get": {"summary": "A photo with its check results", "parameters": [_id("photo_id")],
                                           "responses": {"200": _json(_ref("Photo")), **ERRORS}}},
            "/photos/{photo_id}/reference": {"post": {
                "summary": "Approve the photo as the reference of its site's area, or withdraw it (head office); "
                           "later photos of that area are compared with it (clean.reference)",
                "parameters": [_id("photo_id")],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"action": {"type": "string", "enum": ["approve", "withdraw"]}}}}}},
                "responses": {"200": _json(_ref("Photo")), "400": {"$ref": "#/components/responses/Error"},
                              "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
            "/actions": {"get": {"summary": "Improvement actions in scope", "responses": {
                "200": _json({"type": "object", "properties": {"actions": {"type": "array", "items": _ref("Action")}}}),
                **ERRORS}}},
            "/actions/{action_id}/proofs": {"post": {
                "summary": "Upload a proof photo (dealer); checked by the item's checks",
                "parameters": [_id("action_id")], "requestBody": MULTIPART,
                "responses": {"200": _json(upload_result), "422": _json(upload_result, "No file accepted"), **ERRORS}}},
            "/actions/{action_id}/verify": {"post": {
                "summary": "Verify or reopen an action with a proof", "parameters": [_id("action_id")],
                "requestBody": _body({"decision": {"type": "string", "enum": ["verify", "reopen"]},
                                      "comment": {"type": "string"}}, ["decision"]),
                "responses": {"200": _json(_ref("Action")), "409": {"$ref": "#/components/responses/Error"}, **ERRORS}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Unauthorized": _json(_ref("Error"), "Missing or invalid token"),
                "Error": _json(_ref("Error"), "Error"),
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
                "User": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "username": {"type": "string"},
                    "role": {"type": "string", "enum": ["auditor", "head_office", "dealer", "admin"]},
                    "dealer_id": {"type": "integer", "nullable": True},
                    "region_ids": {"type": "array", "items": {"type": "integer"}}}},
                "Site": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "dealer_id": {"type": "integer"},
                    "dealer": {"type": "string"}, "region_id": {"type": "integer"},
                    "lat": {"type": "number", "nullable": True}, "lon": {"type": "number", "nullable": True}}},
                "Audit": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "site_id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["draft", "analysing", "submitted", "approved", "returned"]},
                    "audit_date": {"type": "string", "format": "date"}, "checklist": {"type": "string"},
                    "brand": {"type": "string"}, "score": {"type": "number", "nullable": True},
                    "auditor": {"type": "string"}, "review_comment": {"type": "string"}}},
                "AuditDetail": {"allOf": [_ref("Audit"), {"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("ItemVerdict")},
                    "sections": {"type": "array", "items": {"type": "object"}},
                    "photos": {"type": "array", "items": _ref("Photo")}}}]},
                "ItemVerdict": {"type": "object", "properties": {
                    "item_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["pass", "fail", "needs_review", "not_applicable", "manual"]},
                    "score": {"type": "number", "nullable": True}, "weight": {"type": "number"},
                    "confidence": {"type": "number"}, "automatic_status": {"type": "string", "nullable": True},
                    "evidence": {"type": "array", "items": {"type": "object"}},
                    "override": {"type": "object", "nullable": True},
                    "manual_answer": {"type": "boolean", "nullable": True}}},
                "Photo": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "audit_id": {"type": "integer"},
                    "area": {"type": "string", "nullable": True}, "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "analysing", "done", "error"]},
                    "error": {"type": "string"}, "sha256": {"type": "string"}, "width": {"type": "integer"},
                    "height": {"type": "integer"}, "flags": {"type": "array", "items": {"type": "object"}},
                    "results": {"type": "array", "items": _ref("CheckResult")},
                    "reference": {"type": "boolean", "description": "an approved reference photo of its site's area "
                                                                    "(single-photo responses)"}}},
                "CheckResult": {"type": "object", "properties": {
                    "check_id": {"type": "string"},
                    "verdict": {"type": "string", "enum": ["pass", "fail", "unsure", "not_applicable", "not_implemented"]},
                    "confidence": {"type": "number"}, "score": {"type": "number", "nullable": True},
                    "message": {"type": "string"}, "findings": {"type": "array", "items": {"type": "object"}},
                    "values": {"type": "object"}, "thresholds": {"type": "object"}}},
                "Progress": {"type": "object", "properties": {
                    "audit_id": {"type": "integer"}, "status": {"type": "string"}, "photos": {"type": "integer"},
                    "done": {"type": "integer"}, "errors": {"type": "integer"}, "queued": {"type": "integer"},
                    "analysing": {"type": "integer"}, "finished": {"type": "boolean"},
                    "score": {"type": "number", "nullable": True}}},
                "UploadResult": {"type": "object", "properties": {
                    "name": {"type": "string"}, "ok": {"type": "boolean"}, "message": {"type": "string"},
                    "photo_id": {"type": "integer", "nullable": True},
                    "flags": {"type": "array", "items": {"type": "string"}}}},
                "Action": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "audit_id": {"type": "integer"}, "site_id": {"type": "integer"},
                    "item_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["open", "proof_uploaded", "verified", "reopened"]},
                    "due_date": {"type": "string", "format": "date"},
                    "proofs": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    }
