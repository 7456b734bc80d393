extension AdministrationService {
    /// The OpenAPI 3.0 document served at `/openapi.json`.
    static var openAPI: [String: Any] {
        let error: [String: Any] = ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        let domain: [String: Any] = ["name": "domain", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"]]
        func operation(_ summary: String, _ role: String, body: [String: Any]? = nil, query: [[String: Any]] = [], ok: String = "200") -> [String: Any] {
            var value: [String: Any] = ["summary": summary, "description": "Role: \(role).", "parameters": [domain] + query,
                                        "responses": [ok: ["description": "done"], "400": error, "401": error, "403": error, "404": error, "413": error, "422": error]]
            if let body { value["requestBody"] = body }
            return value
        }
        return [
            "openapi": "3.0.3",
            "info": ["title": "epki administration", "version": "1"],
            "paths": [
                "/v1/domains/{domain}/status": ["get": operation("The CSCA's state, CRL due date, certificates expiring, pending proposals and SPOC requests", "any officer")],
                "/v1/domains/{domain}/ds": ["post": operation("Issue a Document Signer certificate from a PKCS#10 request", "ra-officer",
                                                              body: ["required": true, "content": ["application/pkcs10": ["schema": ["type": "string", "format": "binary"]]]],
                                                              query: [["name": "documentTypes", "in": "query", "schema": ["type": "string"]]], ok: "201")],
                "/v1/domains/{domain}/revocations": ["post": operation("Revoke a certificate the domain issued", "ca-admin",
                                                                       body: ["required": true, "content": ["application/json": ["schema": [
                                                                           "type": "object", "additionalProperties": false, "required": ["serial"],
                                                                           "properties": ["serial": ["type": "string", "pattern": "^[0-9A-Fa-f]+$"]]]]]])],
                "/v1/domains/{domain}/crls": ["post": operation("Issue the CRLs now", "ca-admin")],
                "/v1/domains/{domain}/proposals": ["get": operation("Proposals of dual-control operations", "any officer")],
                "/v1/domains/{domain}/audit": ["get": operation("Audit entries", "auditor", query: [
                    ["name": "from", "in": "query", "schema": ["type": "integer", "minimum": 1]], ["name": "to", "in": "query", "schema": ["type": "integer", "minimum": 1]],
                ])],
            ],
            "components": ["schemas": ["Error": ["type": "object", "properties": ["error": ["type": "object", "properties": [
                "code": ["type": "string"], "message": ["type": "string"], "field": ["type": "string"], "status": ["type": "integer"],
            ]]]]]],
        ]
    }
}
