/// The OpenAPI 3.0 description of the SOD signing service, written by hand to match `SODSigningService`'s routes (a
/// test compares the two). Served at `/openapi.json`.
public enum OpenAPIDocument {
    public static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "epki SOD signing service",
        "version": "1.0.0",
        "description": "Signs EF.SOD (ICAO Doc 9303-10 document security object) for registered personalization lines. Mutual TLS: only client certificates the operator registered with `epki sod line add` get through the handshake. Each SOD is signed by the Document Signer through the batch signer, verified after signing, and recorded in the audit trail (line, document number, DS, SOD digest) before it is answered."
      },
      "paths": {
        "/v1/sod/sign": {
          "post": {
            "summary": "Sign one document's security object from its data groups' hashes",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignRequest"}}}},
            "responses": {
              "200": {
                "description": "EF.SOD: DER (tag 77) by default; JSON with the SOD in base64 when the request's Accept names application/json. Headers: X-SOD-SHA256 (hex SHA-256 of the EF.SOD), X-Audit-Sequence (the audit entry recording it).",
                "content": {
                  "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                  "application/json": {"schema": {"$ref": "#/components/schemas/SignResponse"}}
                }
              },
              "400": {"description": "A field is missing or malformed; error.field names it", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "403": {"description": "The client certificate is no longer a registered line's", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "429": {"description": "The line's quota for the current window is used up (Retry-After)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "500": {"description": "The Document Signer or the store failed; no SOD was handed out", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/health": {
          "get": {
            "summary": "Liveness, the domain, the number of lines and the Document Signer",
            "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus text exposition (requests, signatures per line, refusals, batches)",
            "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}
          }
        },
        "/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.0 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
          }
        }
      },
      "components": {
        "schemas": {
          "SignRequest": {
            "type": "object", "additionalProperties": false,
            "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"],
            "properties": {
              "documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$", "description": "The document number without MRZ fillers"},
              "ldsVersion": {"type": "string", "enum": ["1.7", "1.8"], "description": "1.7: v0 security object; 1.8: v1 with LDSVersionInfo"},
              "unicodeVersion": {"type": "string", "description": "With ldsVersion 1.8 only; default 4.0.0"},
              "hashAlgorithm": {"type": "string", "enum": ["sha256", "sha384", "sha512"], "description": "The hash the line computed the data groups' hashes with"},
              "hashEncoding": {"type": "string", "enum": ["hex", "base64"], "default": "hex"},
              "dataGroupHashes": {
                "type": "object", "minProperties": 2,
                "description": "Data group number (\"1\" to \"16\", or \"DG1\" to \"DG16\") to the hash of the file as written to the chip; DG1 and DG2 are required",
                "additionalProperties": {"type": "string"}
              }
            }
          },
          "SignResponse": {
            "type": "object",
            "properties": {
              "documentNumber": {"type": "string"},
              "sod": {"type": "string", "format": "byte", "description": "EF.SOD (tag 77), base64"},
              "sodSHA256": {"type": "string", "description": "SHA-256 of the EF.SOD bytes, hex"},
              "auditSequence": {"type": "integer", "description": "Sequence number of the audit entry that records the signature"},
              "documentSigner": {"type": "object", "properties": {"subject": {"type": "string"}, "serial": {"type": "string"}, "fingerprint": {"type": "string"}}}
            }
          },
          "Error": {
            "type": "object",
            "properties": {
              "error": {
                "type": "object",
                "properties": {
                  "code": {"type": "string", "enum": ["badRequest", "unknownLine", "quotaExceeded", "signingFailed", "storeFailure", "notFound", "httpError", "internal"]},
                  "field": {"type": "string", "description": "The request field at fault (badRequest), e.g. dataGroupHashes.3"},
                  "message": {"type": "string"}, "status": {"type": "integer"}
                }
              }
            }
          },
          "Health": {
            "type": "object",
            "properties": {
              "status": {"type": "string", "enum": ["ok"]}, "domain": {"type": "string"}, "lines": {"type": "integer"},
              "documentSigner": {"type": "object", "properties": {"subject": {"type": "string"}, "serial": {"type": "string"}, "fingerprint": {"type": "string"}, "notAfter": {"type": "string", "format": "date-time"}}},
              "signatures": {"type": "integer"}, "uptimeSeconds": {"type": "number"}
            }
          }
        }
      }
    }
    """#
}
