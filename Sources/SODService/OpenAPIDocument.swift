/// The OpenAPI 3.0 description of the SOD signing service, written by hand to match `SODSigningService`'s routes (a
/// test compares the two). Served at `/openapi.json`.
public enum OpenAPIDocument {
    public static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "epki SOD signing service",
        "version": "1.0.0",
        "description": "Signs EF.SOD (ICAO Doc 9303-10 document security object) for registered personalization lines, one document per request (/v1/sod/sign) or up to 256 (/v1/sod/sign-batch). Mutual TLS: only client certificates the operator registered with `epki sod line add` get through the handshake. Each SOD is signed by the Document Signer through the batch signer, verified after signing, and recorded in the audit trail (line, document number, DS, SOD digest) before it is answered."
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
        "/v1/sod/sign-batch": {
          "post": {
            "summary": "Sign several documents' security objects in one request, each as /v1/sod/sign would",
            "description": "Each element of documents is checked, counted against the line's quota, signed, verified after signing and recorded in the audit trail exactly as the body of a request to /v1/sod/sign. A document that is refused (a field missing or malformed, the quota used up, a signing or store failure) is refused alone: its place in results holds the error a single request would have got, with that request's HTTP status in error.status, and the other documents are signed. The answer is 200 whenever the body could be read, the results in the order of documents.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignBatchRequest"}}}},
            "responses": {
              "200": {"description": "One result per document, in request order: its EF.SOD or its refusal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignBatchResponse"}}}},
              "400": {"description": "The body is not JSON, has a member other than documents, or documents is missing, not an array, empty, longer than 256, or holds an element that is not an object; error.field names it (documents, documents[3])", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "403": {"description": "The client certificate is no longer a registered line's", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "500": {"description": "The service failed before any document could be signed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
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
            "description": "One of twelve shapes: ldsVersion 1.7 (\"0107\"; a v0 security object, no unicodeVersion) or 1.8 (\"0108\"; v1 with LDSVersionInfo, unicodeVersion \"4.0.0\" by default) × hashAlgorithm sha256, sha384 or sha512 × hashEncoding hex (the default) or base64, each hash exactly the algorithm's length. documentNumber: the document number without MRZ fillers. dataGroupHashes: data group number (\"1\" to \"16\"; \"DG1\" to \"DG16\" are read as the numbers too, each data group once) to the hash of the file as written to the chip; DG1 and DG2 are required.",
            "oneOf": [{"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha256"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha256"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha384"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha384"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha512"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.7", "0107"]}, "hashAlgorithm": {"type": "string", "enum": ["sha512"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}}}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha256"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha256"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha384"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{96}$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha384"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{64}$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha512"]}, "hashEncoding": {"type": "string", "enum": ["hex"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "2": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "3": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "4": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "5": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "6": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "7": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "8": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "9": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "10": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "11": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "12": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "13": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "14": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "15": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}, "16": {"type": "string", "pattern": "^[0-9A-Fa-f]{128}$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}, {"type": "object", "additionalProperties": false, "required": ["documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes", "hashEncoding"], "properties": {"documentNumber": {"type": "string", "pattern": "^[A-Z0-9]{1,22}$"}, "ldsVersion": {"type": "string", "enum": ["1.8", "0108"]}, "hashAlgorithm": {"type": "string", "enum": ["sha512"]}, "hashEncoding": {"type": "string", "enum": ["base64"]}, "dataGroupHashes": {"type": "object", "additionalProperties": false, "required": ["1", "2"], "properties": {"1": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "2": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "3": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "4": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "5": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "6": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "7": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "8": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "9": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "10": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "11": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "12": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "13": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "14": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "15": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}, "16": {"type": "string", "pattern": "^[A-Za-z0-9+/]{85}[AQgw]==$"}}}, "unicodeVersion": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})$"}}}]
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
          "SignBatchRequest": {
            "type": "object",
            "additionalProperties": false,
            "required": ["documents"],
            "properties": {
              "documents": {
                "type": "array", "minItems": 1, "maxItems": 256,
                "items": {"$ref": "#/components/schemas/SignBatchDocument"}
              }
            }
          },
          "SignBatchDocument": {
            "type": "object",
            "description": "A document to sign: the same object as the body of /v1/sod/sign (components.schemas.SignRequest). Any JSON object is taken here; one that is not a valid SignRequest is refused alone, in its place in results, with error.field naming the field at fault."
          },
          "SignBatchResponse": {
            "type": "object",
            "required": ["results"],
            "properties": {
              "results": {"type": "array", "items": {"$ref": "#/components/schemas/SignBatchResult"}},
              "documentSigner": {"type": "object", "properties": {"subject": {"type": "string"}, "serial": {"type": "string"}, "fingerprint": {"type": "string"}}}
            }
          },
          "SignBatchResult": {
            "description": "A signed document (sod, sodSHA256, auditSequence) or a refused one (error). documentNumber is the one the document gave, when it gave a string.",
            "oneOf": [
              {"type": "object", "required": ["documentNumber", "sod", "sodSHA256", "auditSequence"], "additionalProperties": false, "properties": {
                "documentNumber": {"type": "string"},
                "sod": {"type": "string", "format": "byte", "description": "EF.SOD (tag 77), base64"},
                "sodSHA256": {"type": "string", "description": "SHA-256 of the EF.SOD bytes, hex"},
                "auditSequence": {"type": "integer", "description": "Sequence number of the audit entry that records the signature"}
              }},
              {"type": "object", "required": ["error"], "additionalProperties": false, "properties": {
                "documentNumber": {"type": "string"},
                "error": {"$ref": "#/components/schemas/ErrorBody"}
              }}
            ]
          },
          "Error": {
            "type": "object",
            "properties": {
              "error": {"$ref": "#/components/schemas/ErrorBody"}
            }
          },
          "ErrorBody": {
            "type": "object",
            "properties": {
              "code": {"type": "string", "enum": ["badRequest", "unknownLine", "quotaExceeded", "signingFailed", "storeFailure", "notFound", "httpError", "internal"]},
              "field": {"type": "string", "description": "The request field at fault (badRequest), e.g. dataGroupHashes.3"},
              "message": {"type": "string"}, "status": {"type": "integer"}
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
