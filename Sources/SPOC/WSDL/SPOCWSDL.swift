/// The SPOC WSDL epki serves at `GET /spoc?wsdl` (ICAO namespace) and `GET /spoc?wsdl&namespace=csn`: the
/// structure Doc 9303-12 §8.3.3 prescribes (document/literal SOAP 1.1, port type `SPOCPortType`, binding
/// `SPOCSOAPBinding`, service `SPOC`, port `SPOCPort`, soapAction = operation name), the elements of §8.2 and the
/// enumerations of the namespace asked for, with the service address of this server instead of the placeholder.
/// Written here from the structure the standard describes, not copied from a published file.
public enum SPOCWSDL {
    public static func document(namespace: SPOCNamespace, address: String) -> String {
        let ns = namespace.uri
        func enumeration(_ name: String, _ list: SPOCResultCode.List) -> String {
            let values = list.values(namespace).map { "<xs:enumeration value=\"\($0.rawValue)\"/>" }.joined(separator: "\n          ")
            return """
                  <xs:simpleType name="\(name)">
                    <xs:restriction base="xs:string">
                      \(values)
                    </xs:restriction>
                  </xs:simpleType>
              """
        }
        func element(_ name: String, _ children: [(String, String, String)]) -> String {
            let fields = children.map { child -> String in
                let (childName, type, occurs) = child
                if childName == "certificateSequence" { return "<xs:element ref=\"SPOC:certificateSequence\"\(occurs)/>" }
                return "<xs:element name=\"\(childName)\" type=\"\(type)\"\(occurs)/>"
            }.joined(separator: "\n            ")
            return """
                  <xs:element name="\(name)">
                    <xs:complexType>
                      <xs:sequence>
                        \(fields)
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
              """
        }
        let optional = " minOccurs=\"0\""
        let types = [
            """
                  <xs:element name="certificateSequence">
                    <xs:complexType>
                      <xs:sequence>
                        <xs:element name="certificate" type="xs:base64Binary" maxOccurs="unbounded"/>
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
            """,
            enumeration("RequestCertificateResultType", .requestCertificateResult),
            enumeration("SendCertificatesStatusInfoType", .sendCertificatesStatusInfo),
            enumeration("SendCertificatesResultType", .sendCertificatesResult),
            enumeration("GetCACertificatesResultType", .getCACertificatesResult),
            enumeration("GeneralMessageResultType", .generalMessageResult),
            element("RequestCertificateRequest", [("callerID", "xs:string", ""), ("messageID", "xs:string", ""), ("certificateRequest", "xs:base64Binary", "")]),
            element("RequestCertificateResponse", [("certificateSequence", "", optional), ("result", "SPOC:RequestCertificateResultType", "")]),
            element("SendCertificatesRequest", [("callerID", "xs:string", ""), ("messageID", "xs:string", optional), ("certificateSequence", "", optional),
                                                ("statusInfo", "SPOC:SendCertificatesStatusInfoType", "")]),
            element("SendCertificatesResponse", [("result", "SPOC:SendCertificatesResultType", "")]),
            element("GetCACertificatesRequest", [("callerID", "xs:string", ""), ("messageID", "xs:string", "")]),
            element("GetCACertificatesResponse", [("certificateSequence", "", optional), ("result", "SPOC:GetCACertificatesResultType", "")]),
            element("GeneralMessageRequest", [("callerID", "xs:string", ""), ("messageID", "xs:string", ""), ("subject", "xs:string", ""), ("body", "xs:string", "")]),
            element("GeneralMessageResponse", [("result", "SPOC:GeneralMessageResultType", "")]),
        ].joined(separator: "\n")
        let messages = SPOCOperation.allCases.map { operation in
            """
              <wsdl:message name="\(operation.requestElement)">
                <wsdl:part name="\(operation.requestElement)" element="SPOC:\(operation.requestElement)"/>
              </wsdl:message>
              <wsdl:message name="\(operation.responseElement)">
                <wsdl:part name="\(operation.responseElement)" element="SPOC:\(operation.responseElement)"/>
              </wsdl:message>
            """
        }.joined(separator: "\n")
        let portOperations = SPOCOperation.allCases.map { operation in
            """
                <wsdl:operation name="\(operation.rawValue)">
                  <wsdl:input message="SPOC:\(operation.requestElement)"/>
                  <wsdl:output message="SPOC:\(operation.responseElement)"/>
                </wsdl:operation>
            """
        }.joined(separator: "\n")
        let bindingOperations = SPOCOperation.allCases.map { operation in
            """
                <wsdl:operation name="\(operation.rawValue)">
                  <soap:operation soapAction="\(operation.rawValue)" style="document"/>
                  <wsdl:input><soap:body use="literal" parts="\(operation.requestElement)"/></wsdl:input>
                  <wsdl:output><soap:body use="literal" parts="\(operation.responseElement)"/></wsdl:output>
                </wsdl:operation>
            """
        }.joined(separator: "\n")
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:SPOC="\(ns)" targetNamespace="\(ns)">
              <wsdl:types>
                <xs:schema targetNamespace="\(ns)" elementFormDefault="qualified">
            \(types)
                </xs:schema>
              </wsdl:types>
            \(messages)
              <wsdl:portType name="SPOCPortType">
            \(portOperations)
              </wsdl:portType>
              <wsdl:binding name="SPOCSOAPBinding" type="SPOC:SPOCPortType">
                <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
            \(bindingOperations)
              </wsdl:binding>
              <wsdl:service name="SPOC">
                <wsdl:port name="SPOCPort" binding="SPOC:SPOCSOAPBinding">
                  <soap:address location="\(XMLWriter.escape(address, attribute: true))"/>
                </wsdl:port>
              </wsdl:service>
            </wsdl:definitions>

            """
    }
}
