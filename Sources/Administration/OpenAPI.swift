extension AdministrationService {
    /// The OpenAPI 3.0 document served at `/openapi.json`.
    static var openAPI: [String: Any] {
        let error: [String: Any] = ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        let domain: [String: Any] = ["name": "domain", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$"]]
        let id: [String: Any] = ["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "format": "int64", "minimum": 1, "maximum": Int64.max]]
        // The officer's signed statement, for operations under dual control (see the service's documentation).
        let statementHeaders: [[String: Any]] = [
            ["name": "Epki-Officer-Statement-Time", "in": "header", "schema": ["type": "string", "format": "date-time"],
             "description": "The time: line of the statement signed (from the 403 statementRequired answer)."],
            ["name": "Epki-Officer-Signature", "in": "header", "schema": ["type": "string", "format": "byte", "minLength": 4, "maxLength": 1_368],
             "description": "Base64 signature of the statement with the officer's key (ECDSA or RSA PKCS#1 v1.5, SHA-256)."],
        ]
        func operation(_ summary: String, _ role: String, body: [String: Any]? = nil, query: [[String: Any]] = [], ok: String = "200",
                       governed: Bool = false, path: [[String: Any]] = []) -> [String: Any] {
            var responses: [String: Any] = [ok: ["description": "done"], "400": error, "401": error, "403": error, "404": error, "413": error, "422": error]
            if governed {
                responses["202"] = ["description": "proposed: the domain's policy puts the operation under dual control"]
                responses["409"] = error
            }
            var value: [String: Any] = ["summary": summary, "description": "Role: \(role).", "parameters": [domain] + path + query + (governed ? statementHeaders : []),
                                        "responses": responses]
            if let body { value["requestBody"] = body }
            return value
        }
        return [
            "openapi": "3.0.3",
            "info": ["title": "epki administration", "version": "1"],
            "paths": [
                "/v1/domains/{domain}/status": ["get": operation("The CSCA's state, CRL due date, certificates expiring, pending proposals and SPOC requests", "any officer")],
                "/v1/domains/{domain}/ds": ["post": operation("Issue a Document Signer certificate from a PKCS#10 request", "ra-officer",
                                                              body: ["required": true, "content": [
                                                                  // DER or PEM; the media type is not what the service goes by.
                                                                  "application/pkcs10": ["schema": ["type": "string", "format": "binary"]],
                                                                  "application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                                                              ]],
                                                              query: [["name": "documentTypes", "in": "query", "schema": ["type": "string"]]], ok: "201",
                                                              governed: true)],
                "/v1/domains/{domain}/revocations": ["post": operation("Revoke a certificate the domain issued", "ca-admin",
                                                                       body: ["required": true, "content": ["application/json": ["schema": [
                                                                           "type": "object", "additionalProperties": false, "required": ["serial"],
                                                                           "properties": ["serial": ["type": "string", "pattern": "^[0-9A-Fa-f]{1,64}$"]]]]]],
                                                                       governed: true)],
                "/v1/domains/{domain}/crls": ["post": operation("Issue the CRLs now", "ca-admin", governed: true)],
                "/v1/domains/{domain}/proposals": ["get": operation("Proposals of dual-control operations", "any officer")],
                "/v1/domains/{domain}/proposals/{id}": ["get": operation("One proposal, its approvals, and the statement that approves it", "any officer", path: [id])],
                "/v1/domains/{domain}/proposals/{id}/approvals": ["post": operation(
                    "Approve a proposal with a signed statement; the approval that completes the quorum runs an API proposal", "the operation's role",
                    governed: true, path: [id])],
                "/v1/domains/{domain}/proposals/{id}/rejections": ["post": operation("Reject a proposal with a signed statement", "the operation's role",
                                                                                     governed: true, path: [id])],
                "/v1/domains/{domain}/audit": ["get": operation("Audit entries", "auditor", query: [
                    ["name": "from", "in": "query", "schema": ["type": "integer", "format": "int64", "minimum": 1, "maximum": Int64.max]],
                    ["name": "to", "in": "query", "schema": ["type": "integer", "format": "int64", "minimum": 1, "maximum": Int64.max]],
                ])],
            ],
            "components": ["schemas": ["Error": ["type": "object", "properties": [
                "error": ["type": "object", "properties": [
                    "code": ["type": "string"], "message": ["type": "string"], "field": ["type": "string"], "status": ["type": "integer"],
                ]],
                "statement": ["type": "string", "description": "With statementRequired: the exact bytes to sign."],
            ]]]],
        ]
    }
}
