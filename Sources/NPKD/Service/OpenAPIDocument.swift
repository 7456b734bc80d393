/// The OpenAPI 3.0 description of the border control service, written by hand to match `BorderControlService`'s
/// routes (a test compares the two). Served at `/openapi.json`.
///
/// ```
/// { "openapi": "3.0.3", "info": {...}, "paths": { "/v1/pa/verify": { "post": {...} }, ... }, "components": {...} }
/// ```
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "epki NPKD border control service",
        "version": "1.0.0",
        "description": "Passive authentication with the trust of the national public key directory, and the CSCAs, Document Signers, CRLs and revocation states it holds. Errors are JSON objects {\"error\": {\"code\", \"message\"}} with a 4xx or 5xx status."
      },
      "paths": {
        "/health": {
          "get": {
            "summary": "Liveness and store readability",
            "responses": {
              "200": {"description": "The service answers and the store can be read", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
              "503": {"description": "The store cannot be read", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus text exposition format 0.0.4",
            "responses": {"200": {"description": "Counters and gauges", "content": {"text/plain": {"schema": {"type": "string"}}}}}
          }
        },
        "/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
          }
        },
        "/v1/pa/verify": {
          "post": {
            "summary": "Passive authentication (Doc 9303-11 §5.1) of EF.SOD and data groups, with trust from the NPKD",
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyRequest"}}}
            },
            "responses": {
              "200": {"description": "The document is genuine", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PassiveAuthenticationReport"}}}},
              "422": {"description": "The document is not genuine (the report says which check failed), or the documentSigner given is no certificate (an error)", "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/PassiveAuthenticationReport"}, {"$ref": "#/components/schemas/Error"}]}}}},
              "400": {"description": "The request is not JSON of the expected shape, or a value is not base64", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/csca": {
          "get": {
            "summary": "CSCA and link certificates held, with their trust state",
            "parameters": [{"name": "country", "in": "query", "required": false, "description": "Two-letter country code", "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}}],
            "responses": {
              "200": {"description": "Certificates", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}}}}},
              "400": {"description": "Bad country code", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/ds/{ski}": {
          "get": {
            "summary": "Document Signer certificates with this subject key identifier",
            "parameters": [{"name": "ski", "in": "path", "required": true, "description": "Subject key identifier, hex (whole octets)", "schema": {"type": "string", "pattern": "^([0-9A-Fa-f]{2})+$", "maxLength": 128}}],
            "responses": {
              "200": {"description": "Certificates", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}}}}},
              "400": {"description": "Not hex", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "404": {"description": "None held", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/crl/{country}": {
          "get": {
            "summary": "CRLs held for a country: current, superseded, and unverified (signed by an unknown CA, applied to nothing)",
            "parameters": [{"name": "country", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}}],
            "responses": {
              "200": {"description": "CRLs", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/CRL"}}}}},
              "400": {"description": "Bad country code", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/crl/{country}/{id}": {
          "get": {
            "summary": "The DER of one CRL held (current or unverified)",
            "parameters": [
              {"name": "country", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}},
              {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807}}
            ],
            "responses": {
              "200": {"description": "The CRL", "content": {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}}}},
              "400": {"description": "Bad parameters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "404": {"description": "Not held, or superseded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/pa/statistics": {
          "get": {
            "summary": "Counts of the verification history (serve --record-verifications) by the DS issuer's country and verdict; it holds no document data",
            "responses": {
              "200": {"description": "{\"total\": n, \"byCountry\": {\"NZ\": {\"genuine\": n, \"not_genuine\": n}}, \"first\": time, \"last\": time}", "content": {"application/json": {"schema": {"type": "object"}}}},
              "404": {"description": "The verification history is off", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/v1/revocation": {
          "get": {
            "summary": "Whether a serial number is on the current CRL with this authority key identifier",
            "parameters": [
              {"name": "issuer", "in": "query", "required": true, "description": "Authority key identifier of the CRL (the CSCA's subject key identifier), hex (whole octets)", "schema": {"type": "string", "pattern": "^([0-9A-Fa-f]{2})+$", "maxLength": 128}},
              {"name": "serial", "in": "query", "required": true, "description": "Certificate serial number, hex (whole octets)", "schema": {"type": "string", "pattern": "^([0-9A-Fa-f]{2})+$", "maxLength": 64}}
            ],
            "responses": {
              "200": {"description": "good, revoked or unknown", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Revocation"}}}},
              "400": {"description": "Missing or non-hex parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        }
      },
      "components": {
        "schemas": {
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "status": {"type": "integer"}}}}
          },
          "Health": {
            "type": "object",
            "properties": {"status": {"type": "string", "enum": ["ok"]}, "domain": {"type": "string"}, "certificates": {"type": "integer"}, "uptimeSeconds": {"type": "number"}}
          },
          "VerifyRequest": {
            "type": "object", "required": ["sod", "dataGroups"],
            "properties": {
              "sod": {"type": "string", "format": "byte", "minLength": 4, "description": "EF.SOD as read from the chip, base64 (not empty)"},
              "dataGroups": {"type": "object", "additionalProperties": false,
                "description": "Data group number (1 to 16) to its bytes as read, base64. \"DG1\" … \"DG16\" are read as the numbers too, each data group named once.",
                "properties": {"1": {"type": "string", "format": "byte", "minLength": 4}, "2": {"type": "string", "format": "byte", "minLength": 4}, "3": {"type": "string", "format": "byte", "minLength": 4}, "4": {"type": "string", "format": "byte", "minLength": 4}, "5": {"type": "string", "format": "byte", "minLength": 4}, "6": {"type": "string", "format": "byte", "minLength": 4}, "7": {"type": "string", "format": "byte", "minLength": 4}, "8": {"type": "string", "format": "byte", "minLength": 4}, "9": {"type": "string", "format": "byte", "minLength": 4}, "10": {"type": "string", "format": "byte", "minLength": 4}, "11": {"type": "string", "format": "byte", "minLength": 4}, "12": {"type": "string", "format": "byte", "minLength": 4}, "13": {"type": "string", "format": "byte", "minLength": 4}, "14": {"type": "string", "format": "byte", "minLength": 4}, "15": {"type": "string", "format": "byte", "minLength": 4}, "16": {"type": "string", "format": "byte", "minLength": 4}}},
              "efCOM": {"type": "string", "format": "byte", "minLength": 4},
              "documentSigner": {"type": "string", "format": "byte", "minLength": 4, "description": "DS certificate (DER, base64) for SODs that do not embed it"}
            }
          },
          "Check": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "status": {"type": "string", "enum": ["passed", "failed", "not checked", "warning"]}, "detail": {"type": "string"}}
          },
          "PassiveAuthenticationReport": {
            "type": "object",
            "properties": {
              "subject": {"type": "string"}, "genuine": {"type": "boolean"}, "valid": {"type": "boolean"},
              "checks": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}},
              "documentSigner": {"type": "object"}, "csca": {"type": "object"},
              "dataGroups": {"type": "array", "items": {"type": "integer"}}, "hashAlgorithm": {"type": "string"}
            }
          },
          "Certificate": {
            "type": "object",
            "properties": {
              "fingerprint": {"type": "string"}, "kind": {"type": "string", "enum": ["csca", "link", "ds", "mls", "dls"]},
              "country": {"type": "string"}, "subject": {"type": "string"}, "issuer": {"type": "string"}, "serial": {"type": "string"},
              "subjectKeyIdentifier": {"type": "string"}, "authorityKeyIdentifier": {"type": "string"},
              "notBefore": {"type": "string", "format": "date-time"}, "notAfter": {"type": "string", "format": "date-time"},
              "state": {"type": "string", "enum": ["trusted", "untrusted", "expired", "revoked", "non-conformant-accepted"]},
              "stateReason": {"type": "string"}, "anchor": {"type": "string"}, "findings": {"type": "integer"}, "warnings": {"type": "integer"},
              "source": {"type": "string"}, "importedAt": {"type": "string", "format": "date-time"}, "pem": {"type": "string"}
            }
          },
          "CRL": {
            "type": "object",
            "properties": {
              "id": {"type": "integer"}, "fingerprint": {"type": "string"}, "country": {"type": "string"}, "issuer": {"type": "string"},
              "authorityKeyIdentifier": {"type": "string"}, "status": {"type": "string", "enum": ["current", "superseded", "unverified"]},
              "crlNumber": {"type": "string"}, "thisUpdate": {"type": "string", "format": "date-time"}, "nextUpdate": {"type": "string", "format": "date-time"},
              "entries": {"type": "integer"}, "source": {"type": "string"}, "href": {"type": "string"}
            }
          },
          "Revocation": {
            "type": "object",
            "properties": {
              "status": {"type": "string", "enum": ["good", "revoked", "unknown"]}, "issuer": {"type": "string"}, "serial": {"type": "string"},
              "revokedAt": {"type": "string", "format": "date-time"}, "crlNumber": {"type": "string"},
              "thisUpdate": {"type": "string", "format": "date-time"}, "nextUpdate": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}
            }
          }
        }
      }
    }
    """#
}
